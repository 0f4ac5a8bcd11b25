package io.procwarden.cli;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.ProcessSpec;
import io.procwarden.ResourceUsage;
import io.procwarden.SpawnException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code procwarden run [OPTIONS] [--] CMD [ARGS]}: runs a command with the hardened defaults
 * of {@link ProcessSpec} (only fds 0, 1, 2 inherited, empty signal mask and default
 * dispositions) as the leader of its own process group, forwards SIGINT, SIGTERM and SIGHUP to
 * that group, and exits with the command's status, as a shell reports it (128+n for signal n).
 *
 * <p>procwarden's own exit statuses are those of {@code timeout(1)} and {@code env(1)}: 124
 * timed out, 125 procwarden failed (bad option, a file it cannot open), 126 the command was
 * found but cannot be run, 127 it was not found.
 */
@Command(name = "run",
        sortOptions = false,
        customSynopsis = "procwarden run [OPTIONS] [--] CMD [ARG...]",
        description = {
            "Run CMD in its own process group with only fds 0, 1, 2 and a clean signal state;",
            "forward SIGINT, SIGTERM and SIGHUP to its group; exit with its status."},
        footer = {
            "",
            "CMD is looked up on procwarden's own PATH, not on one set with --env.",
            "FILEs and a relative DIR are taken relative to the current directory.",
            "SIGINT, SIGTERM and SIGHUP go on to CMD's group (then SIGCONT); procwarden",
            "ends when CMD does. CMD's group is not the terminal's foreground group: like",
            "a background job, it stops if it reads from the terminal.",
            "",
            "Examples:",
            "  procwarden run -- make test            exit with make's status",
            "  procwarden run --timeout 30s --grace 2s -- ./server",
            "                                         SIGTERM after 30 s, SIGKILL 2 s later",
            "  procwarden run --env-keep PATH --env LANG=C -- env   only these two",
            "  procwarden run --stdout out.log --append --status -- ./job",
            "  procwarden run --json -- sh -c 'exit 3' 2>&1 | tail -n 1",
            "  procwarden run --preserve-fd 3 -- cat /dev/fd/3 3<input.txt",
            "",
            "--status prints on stderr: pid, how it ended, wall and CPU time, peak RSS.",
            "--json prints one JSON object on stderr, the same keys every time:",
            "  pid, status (exited|signaled|unknown), code, signal, core_dumped,",
            "  timed_out, wall_ms, cpu_ms, user_cpu_ms, sys_cpu_ms, peak_rss_bytes,",
            "  peak_rss_exact, exit; or {\"status\":\"not_started\",\"errno\":...,",
            "  \"message\":...,\"exit\":...}. On Linux a child's peak RSS includes",
            "  procwarden's own at the spawn: '<=' (peak_rss_exact false) marks that.",
            "",
            "Exit status: CMD's status; 128+N if signal N killed it; 124 timed out;",
            "125 procwarden failed (bad option, unusable file or fd); 126 CMD cannot",
            "be run (not executable, bad format); 127 CMD not found."
        })
public final class RunCommand implements Callable<Integer> {
    /** Exit status when procwarden itself fails (bad option, unusable file), as {@code timeout(1)}. */
    static final int EXIT_FAILED = 125;
    /** Exit status when CMD exists but cannot be run, as {@code env(1)}. */
    static final int EXIT_CANNOT_RUN = 126;
    /** Exit status when CMD is not found, as {@code env(1)}. */
    static final int EXIT_NOT_FOUND = 127;
    /** Time between SIGTERM and SIGKILL when {@code --timeout} expires and no {@code --grace} is given. */
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

    @Spec
    CommandSpec spec;

    @ParentCommand
    Main main;

    @Option(names = "--timeout", paramLabel = "DUR", converter = Durations.Converter.class,
            description = "After DUR (500ms, 5s, 2m, 1h), SIGTERM to CMD's group, then exit 124.")
    Duration timeout;

    @Option(names = "--grace", paramLabel = "DUR", converter = Durations.Converter.class,
            description = "With --timeout: SIGKILL to the group DUR after the SIGTERM (default: 10s).")
    Duration grace;

    @Option(names = "--env-clear", description = "Start CMD with an empty environment.")
    boolean envClear;

    @Option(names = "--env-keep", paramLabel = "NAME",
            description = "Keep only NAME of procwarden's environment (repeatable; implies --env-clear).")
    List<String> envKeep = new ArrayList<>();

    @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Set a variable for CMD (repeatable).")
    List<String> env = new ArrayList<>();

    @Option(names = "--cwd", paramLabel = "DIR", description = "Run CMD in DIR.")
    Path cwd;

    @Option(names = "--stdout", paramLabel = "FILE", description = "Write CMD's stdout to FILE (truncated first).")
    Path stdout;

    @Option(names = "--stderr", paramLabel = "FILE",
            description = "Write CMD's stderr to FILE (may be the --stdout FILE).")
    Path stderr;

    @Option(names = "--append", description = "Append to the --stdout and --stderr FILEs instead.")
    boolean append;

    @Option(names = "--preserve-fd", paramLabel = "N",
            description = "Pass procwarden's fd N on to CMD as fd N (repeatable; N >= 3).")
    List<Integer> preserveFds = new ArrayList<>();

    @Option(names = "--new-session", description = "Start CMD in a new session (setsid): no controlling terminal.")
    boolean newSession;

    @Option(names = "--status", description = "When CMD ends, print how, its wall and CPU time and peak RSS on stderr.")
    boolean status;

    @Option(names = "--json", description = "When CMD ends, print one JSON line about it on stderr.")
    boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(paramLabel = "CMD", arity = "1..*",
            description = "The command and its arguments (everything after the first non-option word, or after --).")
    List<String> command;

    /** Creates the command (picocli instantiates it). */
    public RunCommand() {}

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        ProcessSpec processSpec = RunOptions.toProcessSpec(this);
        // Before the spawn: a signal that comes between spawn and attach is held, not lost.
        SignalForwarder forwarder = SignalForwarder.install(err);
        long start = System.nanoTime();
        ChildProcess child;
        try {
            child = processSpec.spawn();
        } catch (SpawnException e) {
            return notStarted(e, err);
        }
        try (child) {
            forwarder.attach(child);
            ExitStatus exit = timeout == null ? child.waitFor() : child.waitFor(timeout).orElse(null);
            boolean timedOut = exit == null;
            if (timedOut) {
                exit = terminate(child);
            }
            Duration wall = Duration.ofNanos(System.nanoTime() - start);
            int code = exitCode(child, exit, timedOut, err);
            Optional<ResourceUsage> usage = child.resourceUsage();
            long floor = SystemFacts.ownPeakRssBytes().orElse(0);
            boolean peakExact = usage.isPresent() && usage.get().peakRssBytes() > floor;
            RunReport report = new RunReport(child.pid(), exit, wall, usage, peakExact, timedOut ? timeout : null, code);
            if (status) {
                err.println(report.statusLine());
            }
            if (json) {
                err.println(report.json());
            }
            err.flush();
            return code;
        }
    }

    /** SIGTERM to the group now, SIGKILL after the grace; returns how the child ended. */
    private ExitStatus terminate(ChildProcess child) throws InterruptedException {
        try {
            return child.terminateGroup(grace == null ? DEFAULT_GRACE : grace).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot stop pid " + child.pid() + " after the timeout: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    private static int exitCode(ChildProcess child, ExitStatus exit, boolean timedOut, PrintWriter err) {
        if (timedOut) {
            return Main.EXIT_TIMEOUT;
        }
        if (exit instanceof ExitStatus.Unknown u) {
            err.println("procwarden: pid " + child.pid() + " ended, but its status is unknown: "
                    + u.reason().description());
            return EXIT_FAILED;
        }
        return exit.shellCode();
    }

    private int notStarted(SpawnException e, PrintWriter err) {
        int code = exitCode(e);
        if (main != null && main.debug) {
            e.printStackTrace(err);
        }
        err.println("procwarden: " + e.getMessage());
        if (json) {
            err.println(RunReport.notStartedJson(e.errnoName().orElse(null), e.getMessage(), code));
        }
        err.flush();
        return code;
    }

    /**
     * As {@code env(1)} and {@code timeout(1)} decide after a failed exec: ENOENT is "not
     * found" (also for a missing {@code #!} interpreter, whose name the message gives);
     * errors of the exec itself are "cannot run"; anything else (no fd, no memory for the
     * spawn) is procwarden's own failure. The files and directory procwarden opens are
     * checked before the spawn, so their errors do not reach here as ENOENT or EACCES.
     */
    static int exitCode(SpawnException e) {
        return switch (e.errnoName().orElse("")) {
            case "ENOENT" -> EXIT_NOT_FOUND;
            case "EACCES", "EPERM", "ENOEXEC", "E2BIG", "ETXTBSY", "EISDIR", "ELOOP", "ENAMETOOLONG", "ENOTDIR",
                    "ELIBBAD" -> EXIT_CANNOT_RUN;
            default -> EXIT_FAILED;
        };
    }
}
