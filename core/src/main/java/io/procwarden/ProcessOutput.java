package io.procwarden;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * What {@link ChildProcess#collect(long)} gathered: how the child ended and what it wrote.
 *
 * @param status how the process ended
 * @param stdout the bytes kept from stdout (empty if not piped)
 * @param stderr the bytes kept from stderr (empty if not piped)
 * @param stdoutTruncated true if stdout wrote more than the cap (the rest was read and dropped)
 * @param stderrTruncated the same for stderr
 * @param cutOff true if a stream ended at the drain deadline because another process (a
 *     grandchild) still held the pipe open after the child exited
 */
public record ProcessOutput(ExitStatus status, byte[] stdout, byte[] stderr, boolean stdoutTruncated,
        boolean stderrTruncated, boolean cutOff) {

    /** The cap per stream of {@link ChildProcess#collect()}: {@value} bytes (16 MiB). */
    public static final long DEFAULT_MAX_BYTES = 16L * 1024 * 1024;

    /** The drain after exit unless {@link ChildProcess#drainTimeout(Duration)} says otherwise: 100 ms. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofMillis(100);

    public ProcessOutput {
        stdout = stdout.clone();
        stderr = stderr.clone();
    }

    /** A copy of the stdout bytes. */
    @Override
    public byte[] stdout() {
        return stdout.clone();
    }

    /** A copy of the stderr bytes. */
    @Override
    public byte[] stderr() {
        return stderr.clone();
    }

    /** stdout decoded as UTF-8 (malformed input replaced). */
    public String stdoutText() {
        return stdoutText(StandardCharsets.UTF_8);
    }

    /** stdout decoded with {@code charset} (malformed input replaced). */
    public String stdoutText(Charset charset) {
        return new String(stdout, charset);
    }

    /** stderr decoded as UTF-8 (malformed input replaced). */
    public String stderrText() {
        return stderrText(StandardCharsets.UTF_8);
    }

    /** stderr decoded with {@code charset} (malformed input replaced). */
    public String stderrText(Charset charset) {
        return new String(stderr, charset);
    }

    /** The lines of {@link #stdoutText()}, without their terminators (\n, \r\n or \r). */
    public List<String> stdoutLines() {
        return stdoutText().lines().toList();
    }

    /** The lines of {@link #stderrText()}, without their terminators. */
    public List<String> stderrLines() {
        return stderrText().lines().toList();
    }

    @Override
    public String toString() {
        return "ProcessOutput[" + status + ", stdout " + stdout.length + " bytes" + (stdoutTruncated ? " (truncated)" : "")
                + ", stderr " + stderr.length + " bytes" + (stderrTruncated ? " (truncated)" : "")
                + (cutOff ? ", cut off" : "") + "]";
    }
}
