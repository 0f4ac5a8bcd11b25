package io.procwarden.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every error into one line on stderr and an exit status: usage errors (unknown option,
 * bad value, missing pid) give 125 plus a hint naming the subcommand's help; anything else
 * that escapes a command is an internal error, status 1, or 125 for {@code run}, whose 1 could
 * be the command's own status.
 * Stack traces appear only with {@code --debug}.
 */
final class ErrorHandler implements IParameterExceptionHandler, IExecutionExceptionHandler {
    private final boolean debug;

    ErrorHandler(boolean debug) {
        this.debug = debug;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        if (debug) {
            ex.printStackTrace(err);
        }
        err.println("procwarden: " + oneLine(message(ex)));
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return Main.EXIT_USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        if (debug) {
            ex.printStackTrace(err);
        }
        err.println("procwarden: internal error: " + oneLine(String.valueOf(ex))
                + (debug ? "" : " (--debug shows the stack trace)"));
        err.flush();
        return cmd.getCommand() instanceof RunCommand ? RunCommand.EXIT_FAILED : Main.EXIT_INTERNAL;
    }

    private static String message(ParameterException ex) {
        CommandLine cmd = ex.getCommandLine();
        if (ex instanceof UnmatchedArgumentException u && cmd.getParent() == null
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
            return "unknown command '" + u.getUnmatched().getFirst() + "' (commands: "
                    + String.join(", ", cmd.getSubcommands().keySet()) + ")";
        }
        return ex.getMessage();
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
