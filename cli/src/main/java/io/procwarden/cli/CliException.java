package io.procwarden.cli;

/**
 * An error the user can act on, reported as one line ({@code procwarden: MESSAGE}) and an exit
 * status, never as a stack trace (unless {@code --debug}).
 */
public final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    /**
     * Creates the error.
     *
     * @param exitCode the process exit status to end with
     * @param message one line, without the {@code procwarden:} prefix
     */
    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    /** The exit status to end with. */
    public int exitCode() {
        return exitCode;
    }
}
