package io.procwarden.cli;

import io.procwarden.MonitorBackend;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code procwarden} command: the entry point of {@code procwarden.jar}.
 *
 * <p>Exit statuses are those of {@code timeout(1)} and {@code env(1)} where they overlap: 0
 * success, 1 internal error, 2 no such process, 124 timed out, 125 usage error; {@code run}
 * exits with the command's status, 126 if it cannot be run, 127 if it is not found, and 125
 * for its own internal errors (1 could be the command's).
 *
 * <p>Errors are one line on stderr (plus a hint naming the command's help for usage errors);
 * stack traces appear only with {@code --debug}.
 */
public final class Main {
    /** Exit status of an internal error (a bug, or the system refusing a call). */
    static final int EXIT_INTERNAL = 1;
    /** Exit status when a pid names no process. */
    static final int EXIT_NO_SUCH_PROCESS = 2;
    /** Exit status when {@code --timeout} expired first, as {@code timeout(1)}. */
    static final int EXIT_TIMEOUT = 124;
    /** Exit status of a usage error (unknown option, bad value), as {@code timeout(1)}. */
    static final int EXIT_USAGE = 125;

    private static final List<String> COMMANDS = List.of("run", "wait", "info", "help");

    static final String HELP = """
            Usage: procwarden [-hV] [--debug] COMMAND
            Spawn and supervise operating-system processes; learn the moment they exit.
                  --debug     Show the stack trace of errors.
              -h, --help      Show this help message and exit.
              -V, --version   Print version information and exit.
            Commands:
              run   Run CMD in its own process group with only fds 0, 1, 2 and a clean
                      signal state, its whole tree contained; exit with its status
                      (timeout(1)'s options too).
              wait  Wait until processes exit; print one line per exit as it happens:
                      ISO-8601 time, pid, status.
              info  Show the platform facts procwarden depends on: the monitor backend it
                      chose, how children's fds are closed, pidfd support.
              help  Show the help of a command: procwarden help run.

            Examples:
              procwarden run -- make test             run it; exit with its status
              procwarden run --timeout 5m --status -- ./job
              procwarden wait 4242                    until process 4242 exits
              procwarden wait --timeout 30s --any 4242 4243
              procwarden info                         OS, kernel, libc, JDK, backends
              procwarden help wait

            Exit status: 0 ok, 1 internal error, 2 no such process, 124 timed out,
            125 usage error; run: the command's status, 126 cannot run it,
            127 not found (procwarden help run).
            """;

    /** What the parsers learn that the error handling needs: set as options are read. */
    static final class Flags {
        /** {@code --debug}: show stack traces. */
        boolean debug;
        /** {@code run --json}: procwarden's own errors get a JSON line too. */
        boolean json;
    }

    private Main() {}

    /** Runs the command line and exits the JVM with its status. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status (output goes to System.out and System.err). */
    public static int execute(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        Flags flags = new Flags();
        String command = "";
        try {
            Args a = new Args("", new ArrayList<>(Arrays.asList(args)));
            for (String o; (o = a.option()) != null; ) {
                switch (o) {
                    case "--debug" -> flags.debug = a.flag();
                    case "-h", "--help" -> {
                        a.flag();
                        out.print(HELP);
                        return 0;
                    }
                    case "-V", "--version" -> {
                        a.flag();
                        version(out);
                        return 0;
                    }
                    default -> throw a.unknown();
                }
            }
            if (!a.hasMore()) {
                throw a.usage("missing command: run, wait, info or help");
            }
            command = a.positional();
            Args rest = new Args(command, new ArrayList<>(a.rest()));
            int code = switch (command) {
                case "run" -> RunCommand.parse(rest, flags).map(RunCommand::call).orElse(0);
                case "wait" -> WaitCommand.parse(rest, flags).map(WaitCommand::call).orElse(0);
                case "info" -> InfoCommand.parse(rest, flags) ? InfoCommand.call(out) : 0;
                case "help" -> help(rest, out);
                default -> throw a.usage("unknown command '" + command + "' (commands: " + String.join(", ", COMMANDS) + ")");
            };
            out.flush();
            return code;
        } catch (UsageException e) {
            if (flags.debug || debugWord(args)) {
                e.printStackTrace(err);
            }
            err.println("procwarden: " + oneLine(e.getMessage()));
            err.println(e.hint());
            if (e.command().equals("run") && (flags.json || RunCommand.jsonWord(args))) {
                err.println(RunReport.errorJson(oneLine(e.getMessage()), RunCommand.EXIT_FAILED));
            }
            err.flush();
            return EXIT_USAGE;
        } catch (RuntimeException | Error e) { // InterruptedException is wrapped by the commands
            if (flags.debug) {
                e.printStackTrace(err);
            }
            String message = "internal error: " + oneLine(String.valueOf(e));
            err.println("procwarden: " + message + (flags.debug ? "" : " (--debug shows the stack trace)"));
            boolean run = command.equals("run");
            if (run && flags.json) {
                err.println(RunReport.errorJson(message, RunCommand.EXIT_FAILED));
            }
            err.flush();
            return run ? RunCommand.EXIT_FAILED : EXIT_INTERNAL;
        }
    }

    /** {@code procwarden help [COMMAND]}. */
    private static int help(Args a, PrintStream out) {
        for (String o; (o = a.option()) != null; ) {
            if (!o.equals("-h") && !o.equals("--help")) throw a.unknown();
            a.flag();
        }
        List<String> rest = a.rest();
        String text = rest.isEmpty() ? HELP : switch (rest.getFirst()) {
            case "run" -> RunHelp.TEXT;
            case "wait" -> WaitCommand.HELP;
            case "info" -> InfoCommand.HELP;
            case "help" -> HELP;
            default -> throw new UsageException("", "unknown command '" + rest.getFirst() + "' (commands: "
                    + String.join(", ", COMMANDS) + ")");
        };
        out.print(text);
        return 0;
    }

    /**
     * {@code procwarden --version}: the version from the jar manifest ({@code Implementation-Version},
     * written by the build) and the process monitor backend this system gets.
     */
    private static void version(PrintStream out) {
        String version = Main.class.getPackage().getImplementationVersion();
        String backend;
        try {
            backend = MonitorBackend.selected().id();
        } catch (RuntimeException e) {
            backend = "none (" + e.getMessage() + ")";
        }
        out.println("procwarden " + (version != null ? version : "(development build, no jar manifest)"));
        out.println("monitor backend: " + backend);
        out.println("java: " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
    }

    /**
     * {@code --debug} among the words before {@code --}: for an error found before the parser
     * reached it (it may come after the bad option).
     */
    private static boolean debugWord(String[] args) {
        for (String w : args) {
            if (w.equals("--")) return false;
            if (w.equals("--debug")) return true;
        }
        return false;
    }

    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
