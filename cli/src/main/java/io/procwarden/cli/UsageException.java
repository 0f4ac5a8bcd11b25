package io.procwarden.cli;

/**
 * A usage error (unknown option, bad value, missing argument, an option that does not fit the
 * others): one line on stderr, a hint naming the command's help, status 125.
 */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The command whose help the hint names: {@code "run"}, or {@code ""} for the top level. */
    private final String command;

    UsageException(String command, String message) {
        super(message);
        this.command = command;
    }

    UsageException(String command, String message, Throwable cause) {
        super(message, cause);
        this.command = command;
    }

    /** {@code Try 'procwarden run --help'}. */
    String hint() {
        return "Try 'procwarden " + (command.isEmpty() ? "" : command + " ") + "--help'";
    }

    String command() {
        return command;
    }
}
