package io.procwarden.internal.spawn;

import io.procwarden.internal.ffi.Errno;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Explains an errno that posix_spawn returned. glibc reports the first failing step in the
 * child (a file action such as chdir, or the exec) as one number, so ENOENT can mean a missing
 * program, a missing working directory or a missing {@code #!} interpreter. After the failure
 * we look at the file system to say which; a best-effort diagnosis, since the files may change
 * in between.
 */
public final class ExecDiagnosis {
    private ExecDiagnosis() {}

    /**
     * The detail to put after the errno, or null when there is nothing to add.
     *
     * @param program the path that was exec'd (relative ones resolve against {@code dir})
     * @param dir the child's working directory, or null for ours
     */
    public static String explain(int errno, String program, Path dir, List<String> argv, List<String> env) {
        if (dir != null && (errno == Errno.ENOENT || errno == Errno.ENOTDIR || errno == Errno.EACCES)) {
            if (!Files.exists(dir)) return "working directory \"" + dir + "\" does not exist";
            if (!Files.isDirectory(dir)) return "working directory \"" + dir + "\" is not a directory";
            if (errno == Errno.EACCES && !Files.isExecutable(dir)) {
                return "working directory \"" + dir + "\" is not searchable";
            }
        }
        Path file = dir == null ? Path.of(program) : dir.resolve(program);
        if (errno == Errno.ENOENT) {
            if (!Files.exists(file)) return null; // the errno says it all
            String interpreter = shebangInterpreter(file);
            if (interpreter != null) {
                return "bad interpreter \"" + interpreter + "\" (#! line of " + file + ")";
            }
            return file + " exists; its ELF interpreter (dynamic loader) is missing";
        }
        if (errno == Errno.EACCES) {
            if (Files.isDirectory(file)) return file + " is a directory";
            if (Files.exists(file) && !Files.isExecutable(file)) return file + " is not executable";
            return null;
        }
        if (errno == Errno.ENOEXEC) {
            return file + " is not in an executable format (a script needs a #! line)";
        }
        if (errno == Errno.E2BIG) {
            return "argument list and environment too long (" + bytes(argv) + " bytes in " + argv.size()
                    + " arguments, " + (env == null ? "inherited environment" : bytes(env) + " bytes of environment")
                    + ")";
        }
        if (errno == Errno.ETXTBSY) {
            return file + " is open for writing";
        }
        return null;
    }

    /** The interpreter named by a {@code #!} first line, or null if the file does not start with one. */
    static String shebangInterpreter(Path file) {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(256);
        } catch (IOException e) {
            return null;
        }
        if (head.length < 2 || head[0] != '#' || head[1] != '!') return null;
        String line = new String(head, 2, head.length - 2, StandardCharsets.UTF_8);
        int nl = line.indexOf('\n');
        if (nl >= 0) line = line.substring(0, nl);
        String[] words = line.strip().split("[ \t]+", 2);
        return words[0].isEmpty() ? "(none)" : words[0];
    }

    private static long bytes(List<String> strings) {
        long n = 0;
        for (String s : strings) n += s.getBytes(StandardCharsets.UTF_8).length + 1;
        return n;
    }
}
