package io.procwarden.bench;

import io.procwarden.BenchAccess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.Signal;
import io.procwarden.internal.monitor.MonitorLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * N concurrent {@code sleep 600} children, watched: procwarden (one new monitor) against
 * {@code ProcessBuilder} children with {@code onExit()} each. Per run: spawn-phase time, JVM
 * threads, heap after GC and RSS per process while they all run, then time from the first
 * kill -9 until every exit has been seen.
 *
 * <p>Each run happens in a fresh JVM ({@link #main}): the JDK keeps idle reaper threads for 60 s
 * and a big run leaves garbage and threads behind, which would distort the counts of the next
 * run in the same JVM.
 */
public final class Concurrent {
    private Concurrent() {}

    private static final String RESULT = "RESULT ";

    /** One run of one contender at one N. */
    record Run(int n, double spawnMs, Census before, Census during, double allExitsMs, String failure) {
        int watchers(boolean procwarden) {
            return procwarden ? during.monitorThreads() - before.monitorThreads() : during.busyReapers();
        }

        double heapPerProcess() {
            return (double) (during.heapUsed() - before.heapUsed()) / n;
        }

        double rssKiBPerProcess() {
            return (double) (during.rssKiB() - before.rssKiB()) / n;
        }

        String encode() {
            return String.join(" ", Integer.toString(n), Double.toString(spawnMs), Double.toString(allExitsMs),
                    census(before), census(during), failure == null ? "-" : failure.replaceAll("\\s+", " "));
        }

        private static String census(Census c) {
            return c.threads() + " " + c.heapUsed() + " " + c.rssKiB() + " " + c.monitorThreads() + " " + c.busyReapers();
        }

        static Run decode(String line) {
            String[] f = line.split(" ", 14);
            Census b = new Census(Integer.parseInt(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]),
                    Integer.parseInt(f[6]), Integer.parseInt(f[7]));
            Census d = new Census(Integer.parseInt(f[8]), Long.parseLong(f[9]), Long.parseLong(f[10]),
                    Integer.parseInt(f[11]), Integer.parseInt(f[12]));
            return new Run(Integer.parseInt(f[0]), Double.parseDouble(f[1]), b, d, Double.parseDouble(f[2]),
                    f[13].equals("-") ? null : f[13]);
        }
    }

    /**
     * Runs one contender at one N in this (fresh) JVM and prints the result on one line:
     * {@code Concurrent procwarden|jdk N}. Warms up first with 200 spawn + wait of /bin/true.
     */
    public static void main(String[] args) throws Exception {
        boolean pw = args[0].equals("procwarden");
        int n = Integer.parseInt(args[1]);
        BenchNative.raiseNofileSoftLimit(Long.MAX_VALUE);
        if (pw) {
            try (ProcessMonitor warm = ProcessMonitor.create(MonitorBackend.PIDFD)) {
                for (int i = 0; i < 200; i++) SpawnLoop.procwarden(BenchAccess.loop(warm));
            }
        } else {
            for (int i = 0; i < 200; i++) SpawnLoop.jdk(false);
        }
        Run r = pw ? procwarden(n) : jdk(n);
        System.out.println(RESULT + r.encode());
    }

    /** Runs {@link #main} in a fresh JVM with this JVM's options and returns its result. */
    static Run fresh(String who, int n) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Concurrent.class.getName(), who, Integer.toString(n)));
        Process p = Procs.jdk(cmd.toArray(String[]::new)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        Run result = null;
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(RESULT)) result = Run.decode(line.substring(RESULT.length()));
                else System.out.println(line);
            }
        }
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the " + who + " N=" + n + " JVM did not finish");
        }
        if (p.exitValue() != 0 || result == null) {
            throw new IllegalStateException("the " + who + " N=" + n + " JVM failed: exit " + p.exitValue());
        }
        return result;
    }

    static Run procwarden(int n) throws Exception {
        Census before = Census.take();
        ProcessMonitor m = ProcessMonitor.create(MonitorBackend.PIDFD);
        MonitorLoop loop = BenchAccess.loop(m);
        List<Procs.Child> kids = new ArrayList<>(n);
        String failure = null;
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) kids.add(Procs.sleeper(loop));
        } catch (RuntimeException e) {
            failure = "spawn #" + (kids.size() + 1) + " failed: " + e.getMessage();
        }
        double spawnMs = (System.nanoTime() - t0) / 1e6;
        Census during = null;
        double exitsMs;
        try {
            if (failure == null) during = Census.take();
        } finally {
            long tk = System.nanoTime();
            for (Procs.Child c : kids) Procs.kill9(c.pid());
            for (Procs.Child c : kids) {
                ExitStatus st = c.exit().get(120, TimeUnit.SECONDS);
                if (!(st instanceof ExitStatus.Signaled s && s.signal().equals(Signal.KILL))) {
                    throw new IllegalStateException("child " + c.pid() + ": " + st);
                }
            }
            exitsMs = (System.nanoTime() - tk) / 1e6;
            m.close();
        }
        return failure == null ? new Run(n, spawnMs, before, during, exitsMs, null)
                : new Run(n, spawnMs, before, before, Double.NaN, failure);
    }

    static Run jdk(int n) throws Exception {
        Census before = Census.take();
        List<Process> ps = new ArrayList<>(n);
        List<CompletableFuture<Process>> exits = new ArrayList<>(n);
        String failure = null;
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                Process p = Procs.jdk("sleep", "600").inheritIO().start();
                ps.add(p);
                exits.add(p.onExit());
            }
        } catch (java.io.IOException | RuntimeException e) {
            failure = "start #" + (ps.size() + 1) + " failed: " + e.getMessage();
        }
        double spawnMs = (System.nanoTime() - t0) / 1e6;
        Census during = null;
        double exitsMs;
        try {
            if (failure == null) during = Census.take();
        } finally {
            long tk = System.nanoTime();
            for (Process p : ps) Procs.kill9(p.pid());
            for (CompletableFuture<Process> f : exits) {
                Process p = f.get(120, TimeUnit.SECONDS);
                if (p.exitValue() != 128 + 9) {
                    throw new IllegalStateException("JDK child " + p.pid() + " exit value " + p.exitValue());
                }
            }
            exitsMs = (System.nanoTime() - tk) / 1e6;
        }
        return failure == null ? new Run(n, spawnMs, before, during, exitsMs, null)
                : new Run(n, spawnMs, before, before, Double.NaN, failure);
    }

    static Report.Section run(Config cfg) throws Exception {
        int[] ns = cfg.quick() ? new int[] {10, 100} : new int[] {10, 100, 1000, 10_000};
        Report.Section s = new Report.Section("concurrent", "Threads, heap and spawn time with N processes watched");
        s.method.append("N `sleep 600` children started one after another and watched, all alive at once; then all are ")
                .append("killed with SIGKILL and we wait until every exit has been seen. procwarden: one new `ProcessMonitor` ")
                .append("(created inside the measurement, so its thread counts), internal `PosixSpawner` + `registerChild`. ")
                .append("JDK: `ProcessBuilder(\"sleep\", \"600\").inheritIO().start()` + `onExit()` each (inheritIO because ")
                .append("default pipes cost 3 fds per child: 10,000 children would need 30,000 fds, above this machine's ")
                .append("limit of 20,000; procwarden's children inherit stdio too). Threads: `ThreadMXBean.getThreadCount()`; ")
                .append("watcher threads: procwarden monitor threads added / the JDK's busy `process reaper (pid N)` threads. ")
                .append("Heap: used heap after two `System.gc()` calls, during minus before, per process; RSS likewise ")
                .append("(includes thread stacks). Every run is a fresh JVM with the same options, warmed up with 200 ")
                .append("spawn + wait of `/bin/true` by its contender (the JDK keeps idle reaper threads for 60 s, which ")
                .append("would distort the next run in the same JVM). Each line is the median of several runs (N <= 100: 3, ")
                .append("N >= 1,000: 1), JDK and procwarden alternating. Time guard: a run whose spawn phase, extrapolated ")
                .append(String.format("from the same contender's per-spawn time at the previous N, would exceed %d s is skipped ", TIME_GUARD_S))
                .append("and says so (`--no-time-guard` runs it anyway), to keep the suite near 10 minutes on a loaded machine.");
        Report.Table t = new Report.Table(null, "N", "contender", "spawn phase (ms)", "per spawn (ms)", "threads before",
                "threads during", "watcher threads", "heap / process (bytes)", "RSS / process (KiB)", "all exits seen (ms)");
        List<String> failures = new ArrayList<>();
        double[] pwSpawn = new double[ns.length], jdkSpawn = new double[ns.length];
        double[] pwThreads = new double[ns.length], jdkThreads = new double[ns.length];
        double[] pwHeap = new double[ns.length];
        boolean oneThread = true;
        double pwPerSpawn = Double.NaN;
        double jdkPerSpawn = Double.NaN;
        for (int k = 0; k < ns.length; k++) {
            int n = ns[k];
            int reps = cfg.quick() ? 2 : n <= 100 ? 3 : 1;
            boolean runJdk = guard(cfg, "JDK", n, jdkPerSpawn, failures);
            boolean runPw = guard(cfg, "procwarden", n, pwPerSpawn, failures);
            List<Run> pw = new ArrayList<>();
            List<Run> jd = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                if (runJdk) {
                    Bench.log("concurrent: N=" + n + " run " + (r + 1) + "/" + reps + " JDK");
                    jd.add(fresh("jdk", n));
                }
                if (runPw) {
                    Bench.log("concurrent: N=" + n + " run " + (r + 1) + "/" + reps + " procwarden");
                    pw.add(fresh("procwarden", n));
                }
            }
            Row p = Row.of(pw, true, failures, "procwarden");
            Row j = Row.of(jd, false, failures, "JDK");
            if (!Double.isNaN(p.spawnMs)) pwPerSpawn = p.spawnMs / n;
            if (!Double.isNaN(j.spawnMs)) jdkPerSpawn = j.spawnMs / n;
            for (Row row : List.of(j, p)) {
                if (Double.isNaN(row.spawnMs)) {
                    t.row(String.format("%,d", n), row.name, "-", "-", "-", "-", "-", "-", "-", "-");
                    continue;
                }
                t.row(String.format("%,d", n), row.name, Stats.num(row.spawnMs), String.format("%.3f", row.spawnMs / n),
                        row.threadsBefore, row.threadsDuring, row.watchers, Stats.num(row.heapPerProcess),
                        Stats.num(row.rssPerProcess), Stats.num(row.allExitsMs));
            }
            pwSpawn[k] = p.spawnMs;
            jdkSpawn[k] = j.spawnMs;
            pwThreads[k] = Double.isNaN(p.spawnMs) ? Double.NaN : p.watchers;
            jdkThreads[k] = Double.isNaN(j.spawnMs) ? Double.NaN : j.watchers;
            pwHeap[k] = p.heapPerProcess;
            if (runPw) oneThread &= p.watchers == 1 && p.threadsDuring - p.threadsBefore <= 1;
        }
        s.tables.add(t);
        double[] x = new double[ns.length];
        for (int k = 0; k < ns.length; k++) x[k] = ns[k];
        Svg.lines(cfg.out().resolve("bench-concurrent-threads.svg"), "Threads that watch N processes", "N (log)",
                "threads (log)", List.of(new Svg.Series("procwarden monitor", Svg.PROCWARDEN, x, pwThreads),
                        new Svg.Series("JDK busy reapers", Svg.JDK, x, jdkThreads)), true, true);
        Svg.lines(cfg.out().resolve("bench-concurrent-spawn.svg"), "Spawn phase: time to start N children (ms)", "N (log)",
                "milliseconds (log)", List.of(new Svg.Series("procwarden", Svg.PROCWARDEN, x, pwSpawn),
                        new Svg.Series("JDK ProcessBuilder", Svg.JDK, x, jdkSpawn)), true, true);
        s.charts.add("bench-concurrent-threads.svg");
        s.charts.add("bench-concurrent-spawn.svg");
        int last = ns.length - 1;
        while (last > 0 && (Double.isNaN(pwSpawn[last]) || Double.isNaN(jdkSpawn[last]))) last--;
        s.verdict("threads added by procwarden: 1 (its monitor) at every N", oneThread ? "1 at every N" : "see table", oneThread);
        int top = ns.length - 1;
        while (top > 0 && Double.isNaN(pwHeap[top])) top--;
        int from = ns[top] >= 1000 ? 1000 : ns[top]; // small N: a few objects of noise dominate
        double maxHeap = 0;
        for (int k = 0; k <= top; k++) if (ns[k] >= from && !Double.isNaN(pwHeap[k])) maxHeap = Math.max(maxHeap, pwHeap[k]);
        s.verdict(String.format("procwarden heap per watched process < 1 KiB (N >= %,d)", from), Stats.num(maxHeap) + " bytes",
                maxHeap < 1024);
        s.reading.append(String.format("At N = %,d the JDK has %,.0f threads waiting for processes, procwarden %.0f. ", ns[last],
                        jdkThreads[last], pwThreads[last]))
                .append("The JDK parks one `process reaper` thread in a blocking waitpid per child (RSS per process shows ")
                .append("their stacks); procwarden's one loop thread waits for all of them in epoll_wait, and what it keeps ")
                .append("per process is a registration, a pidfd and a future. ")
                .append(String.format("Spawn phase at N = %,d: procwarden %s ms, JDK %s ms (%s). ", ns[last],
                        Stats.num(pwSpawn[last]), Stats.num(jdkSpawn[last]), Stats.speed(pwSpawn[last], jdkSpawn[last])))
                .append(String.format("Per spawn, from N = %,d to N = %,d: procwarden %.2f -> %.2f ms, JDK %.2f -> %.2f ms. ",
                        ns[0], ns[last], pwSpawn[0] / ns[0], pwSpawn[last] / ns[last], jdkSpawn[0] / ns[0],
                        jdkSpawn[last] / ns[last]))
                .append("Part of procwarden's growth with N is structural: every watched child holds a pidfd, and ")
                .append("posix_spawn copies the whole descriptor table into each new child (the sequential comparison ")
                .append("measures that cost for 10,000 descriptors); the JDK with `inheritIO()` holds no descriptor per ")
                .append("child, but pays two execs and a thread start for each. The rest of the variation, especially at ")
                .append("small N, is warm-up and the machine's load, which rises while thousands of processes start and ")
                .append("die (see the note below).");
        if (top > last) {
            s.reading.append(String.format(" procwarden alone at N = %,d: spawn phase %s ms (%.2f ms per spawn), %.0f monitor "
                    + "thread, %s bytes of heap per process.", ns[top], Stats.num(pwSpawn[top]), pwSpawn[top] / ns[top],
                    pwThreads[top], Stats.num(pwHeap[top])));
        }
        s.notes.addAll(failures);
        return s;
    }

    /** Seconds a single run's spawn phase may be expected to take before the time guard skips it. */
    static final int TIME_GUARD_S = 240;

    /** False (with a note) when a run at {@code n} would take too long at the measured per-spawn time. */
    private static boolean guard(Config cfg, String who, int n, double perSpawnMs, List<String> notes) {
        double estimate = perSpawnMs * n / 1000;
        if (cfg.noTimeGuard() || Double.isNaN(estimate) || estimate <= TIME_GUARD_S) return true;
        notes.add(String.format("%s at N = %,d skipped by the time guard: at this machine's current speed (%.1f ms per spawn "
                + "at the previous N) its spawn phase alone would take about %.0f s. `scripts/bench --no-time-guard` runs it.",
                who, n, perSpawnMs, estimate));
        return false;
    }

    /** The medians of one contender's runs at one N. */
    private record Row(String name, double spawnMs, long threadsBefore, long threadsDuring, long watchers,
            double heapPerProcess, double rssPerProcess, double allExitsMs) {
        static Row of(List<Run> runs, boolean procwarden, List<String> failures, String name) {
            List<Run> ok = new ArrayList<>();
            for (Run r : runs) {
                if (r.failure() != null) failures.add(name + " at N=" + r.n() + ": " + r.failure());
                else ok.add(r);
            }
            if (ok.isEmpty()) {
                return new Row(name + (runs.isEmpty() ? " (skipped)" : " (failed)"), Double.NaN, 0, 0, 0, Double.NaN,
                        Double.NaN, Double.NaN);
            }
            return new Row(name, med(ok, Run::spawnMs), Math.round(med(ok, r -> r.before().threads())),
                    Math.round(med(ok, r -> r.during().threads())), Math.round(med(ok, r -> r.watchers(procwarden))),
                    med(ok, Run::heapPerProcess), med(ok, Run::rssKiBPerProcess), med(ok, Run::allExitsMs));
        }

        private static double med(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
            return Stats.medianOf(runs.stream().mapToDouble(f).toArray());
        }
    }
}
