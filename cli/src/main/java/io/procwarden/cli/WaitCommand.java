package io.procwarden.cli;

import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code procwarden wait PID...}: waits until the processes exit, printing one line per exit
 * the moment it happens: {@code TIMESTAMP PID STATUS}.
 *
 * <p>The processes are never our children (we did not start them) and are never reaped by us.
 * Where the kernel keeps the status of reaped processes (Linux 6.15, PIDFD_INFO_EXIT) the status
 * is exact ("exited with code 3", "killed by SIGSEGV (core dumped)"), printed once the process's
 * parent has reaped it; elsewhere "status unknown: not our child". The waiting is the monitor's: one
 * {@link ProcessMonitor} thread learns of each exit (pidfd, kqueue or polling) and completes a
 * future; this command waits on those futures, with the timeout as the only deadline.
 */
@Command(name = "wait",
        sortOptions = false,
        description = "Wait until processes exit; print one line per exit as it happens: "
                + "ISO-8601 time, pid, status.",
        footer = {
            "",
            "Examples:",
            "  procwarden wait 4242                     until 4242 exits",
            "  procwarden wait --timeout 30s 4242 4243  until both exit, at most 30 s",
            "  procwarden wait --any 4242 4243          until the first of them exits",
            "  procwarden wait --backend polling 4242   force the polling backend",
            "",
            "Output, one line per exit (the exact status where the kernel keeps it, Linux 6.15+):",
            "  2025-06-01T12:00:00.123+02:00 4242 killed by SIGSEGV (core dumped)",
            "  2025-06-01T12:00:00.125+02:00 4243 exited with code 3",
            "",
            "Exit status: 0 all exited (--any: one did), 1 internal error,",
            "2 no such process, 124 timed out, 125 usage error (bad option, duration, pid)."
        })
public final class WaitCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

    @Spec
    CommandSpec spec;

    @Option(names = "--timeout", paramLabel = "DUR", converter = Durations.Converter.class,
            description = "Give up after DUR (500ms, 5s, 2m, 1h; a plain number is seconds) with status 124.")
    Duration timeout;

    @Option(names = "--any", description = "Stop at the first exit instead of waiting for all.")
    boolean any;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Monitor backend: pidfd, kqueue, polling or auto (default: auto, the best available).")
    String backend = "auto";

    @Option(names = {"-v", "--verbose"},
            description = "Say on stderr when every watch is in place, and with which backend.")
    boolean verbose;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Parameters(paramLabel = "PID", arity = "1..*", converter = PidConverter.class,
            description = "The processes to wait for.")
    List<Long> pids;

    /** Creates the command (picocli instantiates it). */
    public WaitCommand() {}

    /** One exit, as the monitor thread reported it. */
    private record Exit(long pid, ExitStatus status, Throwable error, Instant at) {}

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long deadline = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        try (ProcessMonitor monitor = ProcessMonitor.create(chooseBackend())) {
            Map<Long, CompletableFuture<ExitStatus>> watches = new LinkedHashMap<>();
            for (long pid : new LinkedHashSet<>(pids)) {
                watches.put(pid, watch(monitor, pid));
            }
            // The monitor answers NO_SUCH_PROCESS only at once, from watch(), for a pid with no
            // process; an exit after the watch is in place is reported otherwise.
            List<Long> missing = watches.entrySet().stream()
                    .filter(e -> e.getValue().getNow(null) instanceof ExitStatus.Unknown u
                            && u.reason() == ExitStatus.UnknownReason.NO_SUCH_PROCESS)
                    .map(Map.Entry::getKey)
                    .toList();
            if (!missing.isEmpty()) {
                missing.forEach(pid -> err.println("procwarden: no such process: " + pid));
                err.flush();
                return Main.EXIT_NO_SUCH_PROCESS;
            }
            // Runs on the monitor thread: only takes the time and queues, never blocks.
            BlockingQueue<Exit> exits = new LinkedBlockingQueue<>();
            watches.forEach((pid, f) -> f.whenComplete((status, error) ->
                    exits.add(new Exit(pid, status, error, Instant.now()))));
            if (verbose) {
                err.println("procwarden: watching " + join(watches.keySet()) + " with " + monitor.backend().id());
                err.flush();
            }
            int needed = any ? 1 : watches.size();
            for (int seen = 0; seen < needed; seen++) {
                Exit exit = timeout == null
                        ? exits.take()
                        : exits.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (exit == null) {
                    List<Long> running = watches.entrySet().stream()
                            .filter(e -> !e.getValue().isDone()).map(Map.Entry::getKey).toList();
                    err.println("procwarden: timed out after " + Durations.format(timeout)
                            + "; still running: " + join(running));
                    err.flush();
                    return Main.EXIT_TIMEOUT;
                }
                if (exit.error() != null) {
                    throw new IllegalStateException("watching pid " + exit.pid() + " failed: " + exit.error(), exit.error());
                }
                out.println(TIME.format(exit.at()) + " " + exit.pid() + " " + exit.status());
                out.flush();
            }
            return 0;
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
            throw new ParameterException(spec.commandLine(), e.getMessage(), e, null, backend);
        }
    }

    private CompletableFuture<ExitStatus> watch(ProcessMonitor monitor, long pid) {
        try {
            return monitor.watch(pid);
        } catch (IllegalArgumentException e) { // above pid_max, or our own pid
            throw new ParameterException(spec.commandLine(), e.getMessage(), e, null, Long.toString(pid));
        }
    }

    private static String join(Iterable<Long> pids) {
        List<String> parts = new ArrayList<>();
        pids.forEach(p -> parts.add(Long.toString(p)));
        return String.join(" ", parts);
    }

    /** Converts a PID argument: a positive decimal number. */
    static final class PidConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                long pid = Long.parseLong(value.strip());
                if (pid > 0) {
                    return pid;
                }
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new TypeConversionException("not a pid: \"" + value + "\" (a positive number)");
        }
    }
}
