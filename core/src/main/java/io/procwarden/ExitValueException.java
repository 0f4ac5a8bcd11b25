package io.procwarden;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A process ended other than as expected: {@link ProcessOutput#requireExitValue(int...)} found
 * an exit code outside the expected ones, or a process killed by a signal or of unknown status.
 * Carries the status and everything collected, so the caller can report what the child said;
 * the message names the status, the expected values and the end of stderr.
 */
public final class ExitValueException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final int STDERR_IN_MESSAGE = 2000;

    /** Not serialized: the output is for the catching code, not for a remote one. */
    private final transient ProcessOutput output;
    private final int[] expected;

    /**
     * @param output how it ended and what it wrote
     * @param expected the exit codes that would have been accepted
     */
    public ExitValueException(ProcessOutput output, int... expected) {
        super(message(output, expected));
        this.output = output;
        this.expected = expected.clone();
    }

    private static String message(ProcessOutput output, int[] expected) {
        String err = output.stderrText(StandardCharsets.UTF_8).strip();
        if (err.length() > STDERR_IN_MESSAGE) err = "..." + err.substring(err.length() - STDERR_IN_MESSAGE);
        return "process " + output.status() + ", expected exit code "
                + (expected.length == 1 ? String.valueOf(expected[0]) : "one of " + Arrays.toString(expected))
                + (err.isEmpty() ? "" : "; stderr: " + err);
    }

    /** How the process ended. */
    public ExitStatus status() {
        return output.status();
    }

    /** What it wrote, as collected. */
    public ProcessOutput output() {
        return output;
    }

    /** The exit codes that were expected. */
    public int[] expected() {
        return expected.clone();
    }
}
