package io.procwarden.cli;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.ResourceUsage;
import io.procwarden.Signal;
import io.procwarden.SpawnException;
import io.procwarden.TreeMechanism;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code procwarden run [OPTIONS] [--] CMD [ARGS]}: runs a command with the hardened defaults
 * of {@link ProcessSpec} (only fds 0, 1, 2 inherited, empty signal mask and default
 * dispositions) as the leader of its own process group, with its whole process tree contained
 * ({@link ProcessSpec#containTree()}, unless {@code --no-tree}) and a parent-death SIGKILL,
 * forwards the signals that would kill procwarden to that tree ({@link SignalForwarder}), and
 * exits with the command's status, as a shell reports it (128+n for signal n). What CMD leaves
 * running when it ends is killed before procwarden exits.
 *
 * <p>The timeout follows GNU {@code timeout(1)}: {@code --signal}, {@code --kill-after},
 * {@code --preserve-status}, {@code --foreground}, 0 for none, 124 when it expired and 137
 * when SIGKILL was needed. procwarden's own statuses are those of {@code timeout(1)} and
 * {@code env(1)}: 125 procwarden failed (bad option, a file it cannot open), 126 the command
 * was found but cannot be run, 127 it was not found.
 */
final class RunCommand {
    /** Exit status when procwarden itself fails (bad option, unusable file), as {@code timeout(1)}. */
    static final int EXIT_FAILED = 125;
    /** Exit status when CMD exists but cannot be run, as {@code env(1)}. */
    static final int EXIT_CANNOT_RUN = 126;
    /** Exit status when CMD is not found, as {@code env(1)}. */
    static final int EXIT_NOT_FOUND = 127;
    /** Time between the timeout's signal and SIGKILL when no {@code --grace} is given. */
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

    private final Main.Flags flags;
    Duration timeout; // null: none given; zero: none, as GNU's 0
    Duration grace;   // null: DEFAULT_GRACE; zero: never SIGKILL
    String graceOption; // the name it was given by, for messages
    Signal signal = Signal.TERM;
    boolean preserveStatus;
    boolean foreground;
    boolean envClear;
    final List<String> envKeep = new ArrayList<>();
    final List<String> env = new ArrayList<>();
    Path cwd;
    Path stdout;
    Path stderr;
    boolean append;
    final List<Integer> preserveFds = new ArrayList<>();
    boolean newSession;
    boolean noTree;
    boolean pty;
    boolean status;
    boolean json;
    List<String> command;

    private RunCommand(Main.Flags flags) {
        this.flags = flags;
    }

    Main.Flags flags() {
        return flags;
    }

    /**
     * Reads run's options up to the first word that is not one (or {@code --}): the rest is
     * CMD, whose own options are its own. Empty when {@code --help} was asked for (and printed).
     */
    static Optional<RunCommand> parse(Args a, Main.Flags flags) {
        RunCommand r = new RunCommand(flags);
        for (String o; (o = a.option()) != null; ) {
            switch (o) {
                case "--timeout" -> r.timeout = a.value("DUR", Durations::parse);
                case "--grace", "-k", "--kill-after" -> {
                    r.graceOption = o;
                    r.grace = a.value("DUR", Durations::parse);
                }
                case "-s", "--signal" -> r.signal = a.value("SIG", RunCommand::signal);
                case "--preserve-status" -> r.preserveStatus = a.flag();
                case "--foreground" -> r.foreground = a.flag();
                case "--env-clear" -> r.envClear = a.flag();
                case "--env-keep" -> r.envKeep.add(a.value("NAME"));
                case "--env" -> r.env.add(a.value("NAME=VALUE"));
                case "--cwd" -> r.cwd = a.value("DIR", Path::of);
                case "--stdout" -> r.stdout = a.value("FILE", Path::of);
                case "--stderr" -> r.stderr = a.value("FILE", Path::of);
                case "--append" -> r.append = a.flag();
                case "--preserve-fd" -> r.preserveFds.add(a.value("N", RunCommand::fd));
                case "--new-session" -> r.newSession = a.flag();
                case "--no-tree" -> r.noTree = a.flag();
                case "--pty" -> r.pty = a.flag();
                case "--status" -> r.status = a.flag();
                case "--json" -> r.json = flags.json = a.flag();
                case "--debug" -> flags.debug = a.flag();
                case "-h", "--help" -> {
                    a.flag();
                    System.out.print(RunHelp.TEXT);
                    return Optional.empty();
                }
                default -> throw a.unknown();
            }
        }
        if (!a.hasMore()) {
            throw a.usage("Missing required parameter: 'CMD'");
        }
        r.command = List.copyOf(a.rest());
        return Optional.of(r);
    }

    /**
     * {@code --json} among run's words before {@code --}: for a usage error found before the
     * parser reached it, so that the last stderr line is still JSON.
     */
    static boolean jsonWord(String[] args) {
        for (String w : args) {
            if (w.equals("--")) return false;
            if (w.equals("--json")) return true;
        }
        return false;
    }

    private static Signal signal(String name) {
        return Signal.byName(name).orElseThrow(() -> new IllegalArgumentException(
                "no such signal \"" + name + "\" (a name as kill -l lists it, or a number 1-64)"));
    }

    private static Integer fd(String n) {
        try {
            return Integer.parseInt(n.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an fd number: \"" + n + "\"");
        }
    }

    /** Runs CMD to its end; returns procwarden's exit status. */
    int call() {
        PrintStream err = System.err;
        MonitorBackend backend = backend();
        // The last rung of the tree ladder (no cgroups) makes this JVM a subreaper: fine here,
        // procwarden run spawns nothing but CMD.
        if (!noTree) TreeMechanism.allowSubreaper();
        ProcessSpec processSpec = RunOptions.toProcessSpec(this);
        // Before the spawn: a signal that comes between spawn and attach is held, not lost.
        SignalForwarder forwarder = SignalForwarder.install(err, !foreground);
        JobControl jobs = processSpec.isForegroundJob() ? JobControl.prepare(err) : null;
        long start = System.nanoTime();
        // A monitor of our own, closed before we exit: its thread then is out of epoll_wait. A
        // thread in a native call at exit makes the JVM wait for it, 300 ms (docs/startup.md).
        try (ProcessMonitor monitor = ProcessMonitor.create(backend); PtyRelay relay = pty ? PtyRelay.prepare(err) : null) {
            ChildProcess child;
            try {
                child = processSpec.spawn(monitor);
            } catch (SpawnException e) {
                if (relay != null) relay.close(); // the terminal back before the message
                return notStarted(e, err);
            }
            try (child) {
                if (relay != null) relay.attach(child);
                forwarder.attach(child);
                if (jobs != null) jobs.watch(child);
                Outcome o = await(child);
                if (relay != null) relay.finish(); // its last output, and the terminal back, before our report
                Duration wall = Duration.ofNanos(System.nanoTime() - start);
                int code = exitCode(child, o, err);
                Optional<ResourceUsage> usage = child.resourceUsage();
                long floor = SystemFacts.ownPeakRssBytes().orElse(0);
                boolean peakExact = usage.isPresent() && usage.get().peakRssBytes() > floor;
                RunReport report = new RunReport(child.pid(), o.status, wall, usage, peakExact,
                        o.timedOut ? timeout : null, code);
                if (status) {
                    err.println(report.statusLine());
                }
                if (json) {
                    err.println(report.json());
                }
                err.flush();
                return code;
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException("interrupted while waiting for " + command.getFirst(), e);
        }
    }

    /**
     * The selected backend; a bad {@code -Dprocwarden.monitor.backend} is a usage error: one
     * line naming the value, status 125, before anything is started.
     */
    private static MonitorBackend backend() {
        try {
            return MonitorBackend.selected();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UsageException("run", e.getMessage(), e);
        }
    }

    /** How CMD ended, and whether the timeout had expired first. */
    private record Outcome(ExitStatus status, boolean timedOut) {}

    /**
     * Waits for CMD; when the timeout expires, sends the signal, and SIGKILL after the grace
     * (to the group, or to CMD alone with {@code --foreground}, as GNU does).
     */
    private Outcome await(ChildProcess child) throws InterruptedException {
        boolean limited = timeout != null && !timeout.isZero();
        Optional<ExitStatus> exit = limited ? child.waitFor(timeout) : Optional.of(child.waitFor());
        if (exit.isPresent()) {
            return new Outcome(exit.get(), false);
        }
        send(child, signal);
        Duration g = grace == null ? DEFAULT_GRACE : grace;
        if (!signal.equals(Signal.KILL) && !g.isZero()) {
            exit = child.waitFor(g);
            if (exit.isEmpty()) {
                send(child, Signal.KILL);
            }
        }
        return new Outcome(exit.isPresent() ? exit.get() : child.waitFor(), true);
    }

    /**
     * A signal to CMD's whole tree, or (with {@code --no-tree}) its group, then SIGCONT, so that
     * a stopped member takes it; or to CMD alone with {@code --foreground}.
     */
    private void send(ChildProcess child, Signal s) {
        boolean more = !s.equals(Signal.KILL) && !s.equals(Signal.CONT);
        if (foreground) {
            child.signal(s);
        } else if (child.treeMechanism().isPresent()) {
            if (child.signalTree(s) && more) child.signalTree(Signal.CONT);
        } else if (child.signalGroup(s) && more) {
            child.signalGroup(Signal.CONT);
        }
    }

    /**
     * GNU's rule: 124 after a timeout, unless SIGKILL ended CMD (137: the KILL was needed) or
     * {@code --preserve-status} asks for CMD's own status.
     */
    private int exitCode(ChildProcess child, Outcome o, PrintStream err) {
        if (o.status instanceof ExitStatus.Unknown u) {
            err.println("procwarden: pid " + child.pid() + " ended, but its status is unknown: "
                    + u.reason().description());
            return o.timedOut && !preserveStatus ? Main.EXIT_TIMEOUT : EXIT_FAILED;
        }
        boolean killed = o.status instanceof ExitStatus.Signaled s && s.signal().equals(Signal.KILL);
        if (o.timedOut && !killed && !preserveStatus) {
            return Main.EXIT_TIMEOUT;
        }
        return o.status.shellCode();
    }

    private int notStarted(SpawnException e, PrintStream err) {
        int code = exitCode(e);
        if (flags.debug) {
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
