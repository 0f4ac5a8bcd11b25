package io.procwarden.internal.jail;

import io.procwarden.ProcessIdentity;
import io.procwarden.internal.ffi.Unistd;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A jailed child's pid file: {@code "PID STARTTIME"} written atomically (temporary file, then
 * rename) before the target runs, and deleted after its end only if it still names that child
 * (a restarted supervisor may have rewritten it).
 */
final class PidFile {
    private PidFile() {}

    /**
     * Writes the identity of {@code pid} to {@code file}.
     *
     * @return the line written
     * @throws IOException naming the file (no temporary file is left)
     */
    static String write(Path file, int pid) throws IOException {
        ProcessIdentity id = ProcessIdentity.of(pid)
                .orElseThrow(() -> new IOException("jail stub (pid " + pid + ") vanished before its pid file was written"));
        String line = id.toPidFileLine();
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp-" + Unistd.getpid() + "-" + pid);
        try {
            Files.writeString(tmp, line + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            String m = e.getMessage();
            throw new IOException("cannot write pid file " + file + ": " + e.getClass().getSimpleName()
                    + (m == null ? "" : ": " + m), e);
        }
        return line;
    }

    /** Deletes {@code file} if it still holds {@code line}; a file already gone is fine. */
    static void deleteIfOurs(Path file, String line) throws IOException {
        try {
            if (Files.readString(file, StandardCharsets.US_ASCII).trim().equals(line)) Files.delete(file);
        } catch (NoSuchFileException e) {
            // already gone
        }
    }
}
