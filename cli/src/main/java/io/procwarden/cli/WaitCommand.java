package io.procwarden.cli;

import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code procwarden wait PID...}: waits until the processes exit, printing one line per exit
 * the moment it happens: {@code TIMESTAMP PID STATUS}.
 *
 * <p>The processes need not be our children (they never are: we did not start them), so the
 * status is usually "status unknown: not our child". The waiting is the monitor's: one
 * {@link ProcessMonitor} thread learns of each exit (pidfd, kqueue or polling) and completes a
 * future; this command waits on those futures, with the timeout as the only deadline. A pid
 * with no process is reported at once and the others are still waited for; the status is then 2.
 */
final class WaitCommand {
    static final String HELP = """
            Usage: procwarden wait [-hv] [--any] [--debug] [--backend=NAME] [--timeout=DUR]
                                   PID...
            Wait until processes exit; print one line per exit as it happens: ISO-8601
            time, pid, status.
                  PID...           The processes to wait for.
                  --timeout=DUR    Give up after DUR (500ms, 1.5s, 2m, 1h, 1d; a plain
                                     number is seconds; 0: only check) with status 124.
                  --any            Stop at the first exit instead of waiting for all.
                  --backend=NAME   Monitor backend: pidfd, kqueue, polling or auto
                                     (default: auto, the best available).
              -v, --verbose        Say on stderr when every watch is in place, and with
                                     which backend.
              -h, --help           Show this help and exit.
                  --debug          Show the stack trace of errors.

            A PID with no process (none now, or above the system's pid_max) is named on
            stderr at once ("procwarden: no such process: PID"); the others are still
            waited for, and the exit status is 2 when they are done.

            Examples:
              procwarden wait 4242                     until 4242 exits
              procwarden wait --timeout 30s 4242 4243  until both exit, at most 30 s
              procwarden wait --any 4242 4243          until the first of them exits
              procwarden wait --backend polling 4242   force the polling backend

            Output, one line per exit:
              2025-06-01T12:00:00.123+02:00 4242 status unknown: not our child

            Exit status: 0 all exited (--any: one did), 1 internal error,
            2 no such process (after waiting for the others), 124 timed out,
            125 usage error (bad option, duration, pid).
            """;

    private final Main.Flags flags;
    private Duration timeout;
    private boolean any;
    private String backend = "auto";
    private boolean verbose;
    private final List<Long> pids = new ArrayList<>();

    private WaitCommand(Main.Flags flags) {
        this.flags = flags;
    }

    /** Reads the options and pids (in any order; {@code --} ends the options); empty after {@code --help}. */
    static Optional<WaitCommand> parse(Args a, Main.Flags flags) {
        WaitCommand w = new WaitCommand(flags);
        while (true) {
            String o = a.option();
            if (o == null) {
                if (!a.hasMore()) break;
                w.pids.add(pid(a, a.positional()));
                continue;
            }
            switch (o) {
                case "--timeout" -> w.timeout = a.value("DUR", Durations::parse);
                case "--any" -> w.any = a.flag();
                case "--backend" -> w.backend = a.value("NAME");
                case "-v", "--verbose" -> w.verbose = a.flag();
                case "--debug" -> flags.debug = a.flag();
                case "-h", "--help" -> {
                    a.flag();
                    System.out.print(HELP);
                    return Optional.empty();
                }
                default -> throw a.unknown();
            }
        }
        if (w.pids.isEmpty()) {
            throw a.usage("Missing required parameter: 'PID'");
        }
        return Optional.of(w);
    }

    private static long pid(Args a, String value) {
        try {
            long pid = Long.parseLong(value.strip());
            if (pid > 0) {
                return pid;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw a.usage("Invalid value for PID: not a pid: \"" + value + "\" (a positive number)");
    }

    /** Waits; returns the exit status. */
    int call() {
        PrintStream err = System.err;
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        try (ProcessMonitor monitor = ProcessMonitor.create(chooseBackend())) {
            Map<Long, CompletableFuture<ExitStatus>> watches = new LinkedHashMap<>();
            List<String> missing = new ArrayList<>();
            for (long pid : new LinkedHashSet<>(pids)) {
                // The monitor answers NO_SUCH_PROCESS only at once, from watch(), for a pid with
                // no process; an exit after the watch is in place is reported otherwise.
                Watch w = watch(monitor, pid);
                if (w.future() == null) {
                    missing.add(pid + w.missing());
                } else {
                    watches.put(pid, w.future());
                }
            }
            missing.forEach(pid -> err.println("procwarden: no such process: " + pid));
            err.flush();
            if (watches.isEmpty()) {
                return Main.EXIT_NO_SUCH_PROCESS;
            }
            ExitPrinter printer = new ExitPrinter(System.out, any ? 1 : watches.size());
            printer.warmUp();
            watches.forEach((pid, f) -> f.whenComplete((status, error) -> printer.exited(pid, status, error)));
            if (verbose) {
                err.println("procwarden: watching " + join(watches.keySet()) + " with " + monitor.backend().id());
                err.flush();
            }
            ExitPrinter.Outcome o = printer.await(timeout == null ? -1 : deadline);
            if (o.error() != null) {
                throw new IllegalStateException("watching pid " + o.pid() + " failed: " + o.error(), o.error());
            }
            if (o.timedOut()) {
                List<Long> running = watches.entrySet().stream()
                        .filter(e -> !e.getValue().isDone()).map(Map.Entry::getKey).toList();
                err.println("procwarden: timed out after " + Durations.format(timeout)
                        + "; still running: " + join(running));
                err.flush();
                return Main.EXIT_TIMEOUT;
            }
            return missing.isEmpty() ? 0 : Main.EXIT_NO_SUCH_PROCESS;
        } catch (InterruptedException e) {
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }

    private MonitorBackend chooseBackend() {
        try {
            MonitorBackend b = backend.strip().equalsIgnoreCase("auto")
                    ? MonitorBackend.selected()
                    : MonitorBackend.parse(backend);
            b.unavailabilityCause().ifPresent(cause -> {
                throw new IllegalArgumentException("backend " + b.id() + " is unavailable here: " + cause.getMessage());
            });
            return b;
        } catch (IllegalArgumentException | IllegalStateException e) {
            // auto: the -Dprocwarden.monitor.backend property or the probe, which the message names
            String option = backend.strip().equalsIgnoreCase("auto") ? "" : "--backend " + backend + ": ";
            throw new UsageException("wait", option + e.getMessage(), e);
        }
    }

    /**
     * A watch in place, or (future null) a pid that names no process, with why when there is
     * more to say than that: {@code " (pid 999999 is above the system's pid limit 32768)"}.
     */
    private record Watch(CompletableFuture<ExitStatus> future, String missing) {}

    private static Watch watch(ProcessMonitor monitor, long pid) {
        try {
            CompletableFuture<ExitStatus> f = monitor.watch(pid);
            return f.getNow(null) instanceof ExitStatus.Unknown u && u.reason() == ExitStatus.UnknownReason.NO_SUCH_PROCESS
                    ? new Watch(null, "") : new Watch(f, null);
        } catch (IllegalArgumentException e) { // above pid_max, or our own pid
            if (pid == ProcessHandle.current().pid()) {
                throw new UsageException("wait", e.getMessage(), e);
            }
            return new Watch(null, " (" + e.getMessage() + ")");
        }
    }

    private static String join(Iterable<Long> pids) {
        List<String> parts = new ArrayList<>();
        pids.forEach(p -> parts.add(Long.toString(p)));
        return String.join(" ", parts);
    }
}
