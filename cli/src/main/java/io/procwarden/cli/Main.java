package io.procwarden.cli;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code procwarden} command: the entry point of {@code procwarden.jar}.
 *
 * <p>Exit statuses are those of {@code timeout(1)} where they overlap: 0 success, 1 internal
 * error, 2 no such process, 124 timed out, 125 usage error.
 */
@Command(name = "procwarden",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        subcommands = {WaitCommand.class, InfoCommand.class, CommandLine.HelpCommand.class},
        synopsisSubcommandLabel = "COMMAND",
        description = "Spawn and supervise operating-system processes; learn the moment they exit.",
        footer = {
            "",
            "Examples:",
            "  procwarden wait 4242                    until process 4242 exits",
            "  procwarden wait --timeout 30s --any 4242 4243",
            "  procwarden info                         OS, kernel, libc, JDK, backends",
            "  procwarden help wait",
            "",
            "Exit status: 0 ok, 1 internal error, 2 no such process, 124 timed out,",
            "125 usage error."
        })
public final class Main implements Runnable {
    /** Exit status of an internal error (a bug, or the system refusing a call). */
    static final int EXIT_INTERNAL = 1;
    /** Exit status when a pid names no process. */
    static final int EXIT_NO_SUCH_PROCESS = 2;
    /** Exit status when {@code --timeout} expired first, as {@code timeout(1)}. */
    static final int EXIT_TIMEOUT = 124;
    /** Exit status of a usage error (unknown option, bad value), as {@code timeout(1)}. */
    static final int EXIT_USAGE = 125;

    @Spec
    CommandSpec spec;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Show the stack trace of errors.")
    boolean debug;

    /** Creates the command (picocli instantiates it). */
    public Main() {}

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: wait, info or help");
    }

    /** Runs the command line and exits the JVM with its status. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status (output goes to System.out and System.err). */
    public static int execute(String... args) {
        // Decided before parsing, so that a parse error can show its stack trace too.
        ErrorHandler errors = new ErrorHandler(Arrays.asList(args).contains("--debug"));
        return new CommandLine(new Main())
                .setParameterExceptionHandler(errors)
                .setExecutionExceptionHandler(errors)
                .execute(args);
    }
}
