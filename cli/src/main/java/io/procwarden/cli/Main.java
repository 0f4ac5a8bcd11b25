package io.procwarden.cli;

import java.util.Arrays;
import java.util.List;
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
 * <p>Exit statuses are those of {@code timeout(1)} and {@code env(1)} where they overlap: 0
 * success, 1 internal error, 2 no such process, 124 timed out, 125 usage error; {@code run}
 * exits with the command's status, 126 if it cannot be run, 127 if it is not found, and 125
 * for its own internal errors (1 could be the command's).
 */
@Command(name = "procwarden",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        subcommands = {RunCommand.class, WaitCommand.class, InfoCommand.class, CommandLine.HelpCommand.class},
        synopsisSubcommandLabel = "COMMAND",
        description = "Spawn and supervise operating-system processes; learn the moment they exit.",
        footer = {
            "",
            "Examples:",
            "  procwarden run -- make test             run it; exit with its status",
            "  procwarden run --timeout 5m --status -- ./job",
            "  procwarden wait 4242                    until process 4242 exits",
            "  procwarden wait --timeout 30s --any 4242 4243",
            "  procwarden info                         OS, kernel, libc, JDK, backends",
            "  procwarden help wait",
            "",
            "Exit status: 0 ok, 1 internal error, 2 no such process, 124 timed out,",
            "125 usage error; run: the command's status, 126 cannot run it,",
            "127 not found (procwarden help run)."
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
        throw new ParameterException(spec.commandLine(), "missing command: run, wait, info or help");
    }

    /** Runs the command line and exits the JVM with its status. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status (output goes to System.out and System.err). */
    public static int execute(String... args) {
        // Decided before parsing, so that a parse error can show its stack trace too; words
        // after "--" belong to run's command.
        List<String> words = Arrays.asList(args);
        int end = words.indexOf("--");
        ErrorHandler errors = new ErrorHandler((end < 0 ? words : words.subList(0, end)).contains("--debug"));
        CommandLine cli = new CommandLine(new Main())
                .setParameterExceptionHandler(errors)
                .setExecutionExceptionHandler(errors);
        // run's first word that is not an option starts the command: its options are its own.
        cli.getSubcommands().get("run").setStopAtPositional(true);
        return cli.execute(args);
    }
}
