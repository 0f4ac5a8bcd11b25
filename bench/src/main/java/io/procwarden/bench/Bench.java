package io.procwarden.bench;

import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The benchmark harness: runs the comparisons side by side and writes {@code docs/benchmarks.md}
 * and the charts. Run it with {@code scripts/bench} (options: see {@link Config}).
 */
public final class Bench {
    private Bench() {}

    private static final long START = System.nanoTime();

    public static void main(String[] args) throws Exception {
        Config cfg = Config.parse(args);
        if (!MonitorBackend.PIDFD.isAvailable()) {
            System.err.println("bench: the pidfd backend is unavailable here: " + MonitorBackend.PIDFD.unavailabilityCause().orElseThrow().getMessage());
            System.exit(2);
        }
        // Room for 10,000 children's pidfds or 10,000 extra descriptors beside the JVM's own.
        long soft = BenchNative.raiseNofileSoftLimit(Long.MAX_VALUE);
        Map<String, String> machine = Machine.describe();
        machine.forEach((k, v) -> log(k + ": " + v));
        List<String> problems = new ArrayList<>();
        if (soft < 2 * SpawnLoop.EXTRA_FDS) {
            problems.add("RLIMIT_NOFILE soft limit is only " + soft + "; the 10,000-process and 10,000-fd runs may fail");
        }
        List<String> stale = Procs.leftovers();
        if (!stale.isEmpty()) problems.add("processes of ours before the start: " + stale);

        List<Report.Section> sections = new ArrayList<>();
        String warmup;
        try (ProcessMonitor monitor = ProcessMonitor.create(MonitorBackend.PIDFD)) {
            warmup = warmUp(cfg, monitor);
            for (String id : cfg.only()) {
                long t0 = System.nanoTime();
                String load0 = Machine.proc("/proc/loadavg").split(" ")[0];
                Machine.CpuSnapshot cpu0 = Machine.CpuSnapshot.now();
                try {
                    Report.Section s = switch (id) {
                        case "nonchild" -> NonChildExit.run(cfg, monitor);
                        case "child" -> ChildExit.run(cfg, monitor);
                        case "spawn" -> SpawnLoop.run(cfg, monitor);
                        case "polling" -> Polling.run(cfg);
                        case "concurrent" -> Concurrent.run(cfg);
                        case "jail" -> JailCost.run(cfg, monitor);
                        case "stdio" -> StdioReport.run(cfg);
                        case "tree" -> TreeKill.run(cfg, monitor);
                        case "pty" -> PtyReport.run(cfg, monitor);
                        default -> throw new IllegalArgumentException(id);
                    };
                    s.notes.add(String.format("Took %.0f s; 1-minute load average %s at the start, %s at the end; %s.",
                            (System.nanoTime() - t0) / 1e9, load0, Machine.proc("/proc/loadavg").split(" ")[0],
                            Machine.CpuSnapshot.now().since(cpu0)));
                    List<String> left = Procs.leftovers();
                    s.notes.add(left.isEmpty() ? "Leftover check: no process of this run remains."
                            : "LEFTOVER PROCESSES: " + left);
                    if (!left.isEmpty()) problems.add(id + " left processes behind: " + left);
                    sections.add(s);
                    for (String v : s.verdicts) log(id + ": " + v);
                } catch (Exception | Error e) {
                    e.printStackTrace();
                    problems.add(id + " failed: " + e);
                    List<String> left = Procs.leftovers();
                    if (!left.isEmpty()) problems.add("after the failure of " + id + ": " + left);
                }
            }
        }
        List<String> left = Procs.leftovers();
        if (!left.isEmpty()) problems.add("at the end: " + left);
        machine.put("load average at end", Machine.proc("/proc/loadavg"));
        String command = "scripts/bench" + (cfg.args().isEmpty() ? "" : " " + String.join(" ", cfg.args()));
        String java = "java " + Jvm.shownOptions() + " -m io.procwarden.bench/" + Bench.class.getName() + " "
                + String.join(" ", cfg.args());
        Path md = cfg.out().resolve("benchmarks.md");
        Report.write(md, machine, command, java.trim(), warmup, sections, problems,
                Duration.ofNanos(System.nanoTime() - START).toSeconds());
        log("wrote " + md + " in " + Duration.ofNanos(System.nanoTime() - START).toSeconds() + " s");
        if (!problems.isEmpty()) {
            problems.forEach(p -> log("PROBLEM: " + p));
            System.exit(1);
        }
    }

    /** Spawn + wait, procwarden and JDK interleaved in chunks, so C2 has compiled both paths. */
    private static String warmUp(Config cfg, ProcessMonitor monitor) throws Exception {
        int n = cfg.pick(2000, 200);
        long t0 = System.nanoTime();
        for (int done = 0; done < n; done += 100) {
            for (int i = 0; i < 100; i++) SpawnLoop.procwarden(monitor, false);
            for (int i = 0; i < 100; i++) SpawnLoop.jdk(false);
            log("warm-up: " + (done + 100) + "/" + n);
        }
        return String.format("%,d spawn + wait iterations of `/bin/true` with procwarden and %,d with `ProcessBuilder`, "
                + "interleaved in chunks of 100 (%.1f s), before any measurement; each comparison then runs its own "
                + "untimed iterations first.", n, n, (System.nanoTime() - t0) / 1e9);
    }

    static void log(String message) {
        System.out.println("[bench " + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + message);
    }

    static long[] toArray(List<Long> values) {
        long[] a = new long[values.size()];
        for (int i = 0; i < a.length; i++) a[i] = values.get(i);
        return a;
    }

    /** The number of open descriptors of this JVM. */
    static long openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count() - 1; // the listing's own descriptor
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
