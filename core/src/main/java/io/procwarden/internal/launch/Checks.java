package io.procwarden.internal.launch;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The argument checks the public specs share, so that a value which can never reach the kernel
 * (a C string cannot hold NUL; {@code environ} splits at the first {@code '='}; a jail's mounts
 * need absolute paths) is rejected when it is set, with one wording everywhere:
 * {@code argument contains NUL at index 3: "bad\0arg"}.
 *
 * <p>Every check throws {@link NullPointerException} naming {@code what} for null, and
 * {@link IllegalArgumentException} naming the value otherwise; each returns its argument.
 */
public final class Checks {
    private Checks() {}

    /** {@code text} as a C string: no NUL. */
    public static String text(String what, String text) {
        Objects.requireNonNull(text, what);
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            throw new IllegalArgumentException(what + " contains NUL at index " + nul + ": \"" + visible(text) + "\"");
        }
        return text;
    }

    /** A path as a C string: no NUL in its text. */
    public static Path path(String what, Path path) {
        text(what, Objects.requireNonNull(path, what).toString());
        return path;
    }

    /** A path that must not depend on a working directory: no NUL, and absolute. */
    public static Path absolutePath(String what, Path path) {
        path(what, path);
        if (!path.isAbsolute()) throw new IllegalArgumentException(what + " must be an absolute path: \"" + path + "\"");
        return path;
    }

    /** An environment variable name: not empty, no NUL, no {@code '='}. */
    public static String environmentName(String name) {
        text("environment name", Objects.requireNonNull(name, "environment name"));
        if (name.isEmpty()) throw new IllegalArgumentException("empty environment variable name");
        if (name.indexOf('=') >= 0) {
            throw new IllegalArgumentException("environment variable name contains '=': \"" + name + "\"");
        }
        return name;
    }

    /** {@code text} with NUL shown as {@code \0}, for messages. */
    private static String visible(String text) {
        return text.replace("\0", "\\0");
    }
}
