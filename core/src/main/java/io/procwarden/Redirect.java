package io.procwarden;

import io.procwarden.internal.launch.Checks;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where one of a child's standard streams (0, 1 or 2) goes: a small immutable value, like
 * {@link ProcessBuilder.Redirect}.
 *
 * <ul>
 *   <li>{@link #INHERIT}: the child shares this JVM's descriptor (the default);
 *   <li>{@link #DISCARD}: {@code /dev/null} (reads give end of file, writes vanish);
 *   <li>{@link #PIPE}: a pipe to this JVM, exposed by {@link ChildProcess#stdin()},
 *       {@link ChildProcess#stdout()}, {@link ChildProcess#stderr()};
 *   <li>{@link #from(Path)}: stdin reads a file;
 *   <li>{@link #to(Path)} / {@link #appendTo(Path)}: stdout or stderr write a file, truncated or
 *       appended to, created with mode 0666 minus the umask if missing;
 *   <li>{@link #TO_STDOUT}: stderr only: the same destination as stdout (pipe, file, or inherited).
 * </ul>
 * Files are opened by this JVM when the process is spawned, so a missing or unwritable file fails
 * {@code spawn()} with a message naming it. Thread-safe; factories reject {@code null}.
 */
public final class Redirect {

    /** The kind of a redirect. */
    public enum Kind {
        /** Share this JVM's descriptor. */
        INHERIT,
        /** {@code /dev/null}. */
        DISCARD,
        /** A pipe to this JVM. */
        PIPE,
        /** Read a file (stdin). */
        READ,
        /** Write a file from its start, truncating it (stdout, stderr). */
        WRITE,
        /** Append to a file (stdout, stderr). */
        APPEND,
        /** The same destination as stdout (stderr only). */
        TO_STDOUT
    }

    /** Share this JVM's descriptor. */
    public static final Redirect INHERIT = new Redirect(Kind.INHERIT, null);
    /** {@code /dev/null}. */
    public static final Redirect DISCARD = new Redirect(Kind.DISCARD, null);
    /** A pipe to this JVM. */
    public static final Redirect PIPE = new Redirect(Kind.PIPE, null);
    /** For stderr: go wherever stdout goes (like {@link ProcessBuilder#redirectErrorStream(boolean)}). */
    public static final Redirect TO_STDOUT = new Redirect(Kind.TO_STDOUT, null);

    private final Kind kind;
    private final Path file;

    private Redirect(Kind kind, Path file) {
        this.kind = kind;
        this.file = file;
    }

    /** Stdin reads {@code file}. */
    public static Redirect from(Path file) {
        return new Redirect(Kind.READ, checkFile(file));
    }

    /** Stdout or stderr write {@code file}, truncating it first (created if missing). */
    public static Redirect to(Path file) {
        return new Redirect(Kind.WRITE, checkFile(file));
    }

    /** Stdout or stderr append to {@code file} (created if missing). */
    public static Redirect appendTo(Path file) {
        return new Redirect(Kind.APPEND, checkFile(file));
    }

    private static Path checkFile(Path file) {
        return Checks.path("file name", Objects.requireNonNull(file, "file"));
    }

    /** The kind of redirect. */
    public Kind kind() {
        return kind;
    }

    /** The file of {@link Kind#READ}, {@link Kind#WRITE} and {@link Kind#APPEND}; else empty. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** True if this redirect may be used for the child's descriptor {@code fd} (0, 1 or 2). */
    boolean fits(int fd) {
        return switch (kind) {
            case INHERIT, DISCARD, PIPE -> true;
            case READ -> fd == 0;
            case WRITE, APPEND -> fd != 0;
            case TO_STDOUT -> fd == 2;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Redirect r && r.kind == kind && Objects.equals(r.file, file);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Objects.hashCode(file);
    }

    @Override
    public String toString() {
        return file == null ? kind.name() : kind.name() + " \"" + file + "\"";
    }
}
