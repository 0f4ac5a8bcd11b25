package io.procwarden.internal.spawn;

import io.procwarden.internal.ffi.Errno;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Finds the program to exec, as {@code execvp} would, but in the parent and on the parent's
 * {@code PATH} (the JDK does the same: the child's environment does not change where the
 * program is looked up). posix_spawn (not posix_spawnp) then gets the resolved path, so a
 * failure here never costs a fork.
 *
 * <ul>
 *   <li>A command with a {@code '/'} is used as is; exec resolves a relative one against the
 *       child's working directory, after its chdir.
 *   <li>Otherwise each {@code PATH} entry is tried in order; an empty entry means the current
 *       directory, and relative entries are taken relative to the child's directory (where an
 *       execvp in the child would look). Without {@code PATH}: {@value #DEFAULT_PATH}, the C
 *       library's default, without the current directory.
 *   <li>The first regular file we may execute wins. As with execvp, if none is found but some
 *       candidate was not executable (or a directory), the error is EACCES, else ENOENT.
 * </ul>
 */
public final class ProgramLookup {
    private ProgramLookup() {}

    static final String DEFAULT_PATH = "/bin:/usr/bin";

    /**
     * The path to exec for {@code command}.
     *
     * @param pathEnv the {@code PATH} value to search, or null for the default
     * @param childDir the child's working directory, or null for ours
     * @throws SpawnFailure ENOENT or EACCES with a message saying where we looked
     */
    public static String resolve(String command, String pathEnv, Path childDir) throws SpawnFailure {
        if (command.indexOf('/') >= 0) {
            return command;
        }
        String path = pathEnv == null ? DEFAULT_PATH : pathEnv;
        boolean deniedSomewhere = false;
        for (String entry : path.split(":", -1)) {
            Path dir;
            try {
                dir = Path.of(entry.isEmpty() ? "." : entry);
            } catch (InvalidPathException e) {
                continue; // a NUL or otherwise unusable entry names no directory
            }
            if (!dir.isAbsolute() && childDir != null) {
                dir = childDir.resolve(dir);
            }
            Path candidate = dir.resolve(command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath().toString();
            }
            if (Files.exists(candidate)) {
                deniedSomewhere = true;
            }
        }
        String where = pathEnv == null ? "the default PATH \"" + DEFAULT_PATH + "\" (PATH is not set)"
                : "PATH \"" + pathEnv + "\"";
        if (deniedSomewhere) {
            throw new SpawnFailure("found on " + where + " but not as an executable file", Errno.EACCES);
        }
        throw new SpawnFailure("not found on " + where, Errno.ENOENT);
    }
}
