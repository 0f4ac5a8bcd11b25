package io.procwarden;

import io.procwarden.internal.ffi.Errno;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process could not be started. The message reads like the JDK's and adds what went wrong:
 * <pre>
 * Cannot run program "frobnicate": ENOENT (No such file or directory): not found on PATH "/usr/bin:/bin"
 * Cannot run program "./run.sh" (in directory "/srv/app"): ENOENT (No such file or directory): bad interpreter "/usr/bin/python9" (#! line of /srv/app/run.sh)
 * Cannot run program "ls" (in directory "/nope"): ENOENT (No such file or directory): working directory "/nope" does not exist
 * </pre>
 * When it is thrown nothing of the attempt is left: no descriptor, pipe, thread or zombie (a
 * child that was started before a later step failed has been killed and reaped). The detail
 * after the errno comes from looking at the file system after the failure, so it is a
 * diagnosis, not a guarantee. Immutable.
 */
public final class SpawnException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String program;
    private final String directory;
    private final int errno;
    private final String errnoName;

    /**
     * Creates the exception; the message is built from the parts as shown above.
     *
     * @param program the command as the spec gave it
     * @param directory the working directory the spec gave, or null for this JVM's
     * @param errno the platform's error number, or 0 when the failure has none
     * @param detail what went wrong, after the errno; may be null
     * @param cause the underlying failure; may be null
     */
    public SpawnException(String program, Path directory, int errno, String detail, Throwable cause) {
        super(message(program, directory, errno, detail), cause);
        this.program = program;
        this.directory = directory == null ? null : directory.toString();
        this.errno = errno;
        this.errnoName = errno == 0 ? null : Errno.name(errno);
    }

    private static String message(String program, Path directory, int errno, String detail) {
        StringBuilder b = new StringBuilder("Cannot run program \"").append(program).append('"');
        if (directory != null) b.append(" (in directory \"").append(directory).append("\")");
        b.append(": ");
        if (errno != 0) {
            b.append(Errno.name(errno)).append(" (").append(Errno.describe(errno)).append(')');
            if (detail != null) b.append(": ");
        }
        if (detail != null) b.append(detail);
        return b.toString();
    }

    /** The command as the spec gave it. */
    public String program() {
        return program;
    }

    /** The working directory the spec gave; empty if it was this JVM's. */
    public Optional<Path> directory() {
        return Optional.ofNullable(directory).map(Path::of);
    }

    /** The platform's error number; 0 when the failure has none (e.g. an unreadable /proc). */
    public int errno() {
        return errno;
    }

    /** The symbolic error name, e.g. {@code "ENOENT"}; empty when {@link #errno()} is 0. */
    public Optional<String> errnoName() {
        return Optional.ofNullable(errnoName);
    }
}
