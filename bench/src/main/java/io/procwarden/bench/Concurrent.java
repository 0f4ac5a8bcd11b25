package io.procwarden.bench;

import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.Signal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
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

    /** The contenders, by the name passed to a fresh JVM. */
    enum Who {
        JDK("jdk", "JDK"),
        PROCWARDEN("procwarden", "procwarden"),
        NUPROCESS("nuprocess", "NuProcess");

        final String id;
        final String label;

        Who(String id, String label) {
            this.id = id;
            this.label = label;
        }

        static Who of(String id) {
            for (Who w : values()) if (w.id.equals(id)) return w;
            throw new IllegalArgumentException("unknown contender " + id);
        }
    }

    /** One run of one contender at one N. */
    record Run(int n, double spawnMs, Census before, Census during, double allExitsMs, String failure) {
        /** Threads that wait for processes on behalf of this contender while N are watched. */
        int watchers(Who who) {
            return switch (who) {
                case PROCWARDEN -> during.monitorThreads() - before.monitorThreads();
                case JDK -> during.busyReapers();
                case NUPROCESS -> during.nuProcessThreads();
            };
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
            return c.threads() + " " + c.heapUsed() + " " + c.rssKiB() + " " + c.monitorThreads() + " " + c.busyReapers()
                    + " " + c.nuProcessThreads();
        }

        static Run decode(String line) {
            String[] f = line.split(" ", 16);
            Census b = new Census(Integer.parseInt(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]),
                    Integer.parseInt(f[6]), Integer.parseInt(f[7]), Integer.parseInt(f[8]));
            Census d = new Census(Integer.parseInt(f[9]), Long.parseLong(f[10]), Long.parseLong(f[11]),
                    Integer.parseInt(f[12]), Integer.parseInt(f[13]), Integer.parseInt(f[14]));
            return new Run(Integer.parseInt(f[0]), Double.parseDouble(f[1]), b, d, Double.parseDouble(f[2]),
                    f[15].equals("-") ? null : f[15]);
        }
    }

    /**
     * Runs one contender at one N in this (fresh) JVM and prints the result on one line:
     * {@code Concurrent procwarden|jdk|nuprocess N}. Warms up first with 200 spawn + wait of
     * /bin/true by the same contender.
     */
    public static void main(String[] args) throws Exception {
        Who who = Who.of(args[0]);
        int n = Integer.parseInt(args[1]);
        BenchNative.raiseNofileSoftLimit(Long.MAX_VALUE);
        Run r = switch (who) {
            case PROCWARDEN -> {
                try (ProcessMonitor warm = ProcessMonitor.create(MonitorBackend.PIDFD)) {
                    for (int i = 0; i < 200; i++) SpawnLoop.procwarden(warm, false);
                }
                yield procwarden(n);
            }
            case JDK -> {
                for (int i = 0; i < 200; i++) SpawnLoop.jdk(false);
                yield jdk(n);
            }
            case NUPROCESS -> {
                for (int i = 0; i < 200; i++) NuProcessPeer.spawnAndWait(Procs.TRUE);
                yield nuProcess(n);
            }
        };
        System.out.println(RESULT + r.encode());
        System.exit(0); // NuProcess's event threads are not daemons until they linger out
    }

    /** Runs {@link #main} in a fresh JVM with this JVM's options and returns its result. */
    static Run fresh(Who who, int n) throws Exception {
        List<String> cmd = Jvm.command(Concurrent.class, List.of(who.id, Integer.toString(n)));
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

    /** How one contender starts a {@code sleep 600}, names its pid and confirms its SIGKILL exit. */
    interface Kind<T> extends AutoCloseable {
        T start() throws Exception;

        long pid(T child);

        /** Waits for the exit of a child killed with SIGKILL and checks how it was reported. */
        void awaitKilled(T child) throws Exception;

        @Override
        default void close() {}
    }

    /**
     * One run: census, {@code setUp} (inside the measurement, so that what it creates counts),
     * n starts, census, then kill -9 of all and the time until every exit is seen.
     */
    static <T> Run measure(int n, java.util.concurrent.Callable<Kind<T>> setUp) throws Exception {
        Census before = Census.take();
        try (Kind<T> kind = setUp.call()) {
            List<T> kids = new ArrayList<>(n);
            String failure = null;
            long t0 = System.nanoTime();
            try {
                for (int i = 0; i < n; i++) kids.add(kind.start());
            } catch (Exception e) {
                failure = "start #" + (kids.size() + 1) + " failed: " + e.getMessage();
            }
            double spawnMs = (System.nanoTime() - t0) / 1e6;
            Census during = null;
            double exitsMs;
            try {
                if (failure == null) during = Census.take();
            } finally {
                long tk = System.nanoTime();
                for (T c : kids) Procs.kill9(kind.pid(c));
                for (T c : kids) kind.awaitKilled(c);
                exitsMs = (System.nanoTime() - tk) / 1e6;
            }
            return failure == null ? new Run(n, spawnMs, before, during, exitsMs, null)
                    : new Run(n, spawnMs, before, before, Double.NaN, failure);
        }
    }

    static Run procwarden(int n) throws Exception {
        return measure(n, () -> new Kind<Procs.Child>() {
            private final ProcessMonitor m = ProcessMonitor.create(MonitorBackend.PIDFD);

            @Override
            public Procs.Child start() {
                return Procs.sleeper(m);
            }

            @Override
            public long pid(Procs.Child c) {
                return c.pid();
            }

            @Override
            public void awaitKilled(Procs.Child c) throws Exception {
                ExitStatus st = c.exit().get(120, TimeUnit.SECONDS);
                if (!(st instanceof ExitStatus.Signaled s && s.signal().equals(Signal.KILL))) {
                    throw new IllegalStateException("child " + c.pid() + ": " + st);
                }
            }

            @Override
            public void close() {
                m.close();
            }
        });
    }

    /** A JDK child and its {@code onExit()}, taken at start. */
    private record JdkChild(Process process, CompletableFuture<Process> exit) {}

    static Run jdk(int n) throws Exception {
        return measure(n, () -> new Kind<JdkChild>() {
            @Override
            public JdkChild start() throws java.io.IOException {
                Process p = Procs.jdk("sleep", "600").inheritIO().start();
                return new JdkChild(p, p.onExit());
            }

            @Override
            public long pid(JdkChild c) {
                return c.process().pid();
            }

            @Override
            public void awaitKilled(JdkChild c) throws Exception {
                Process p = c.exit().get(120, TimeUnit.SECONDS);
                if (p.exitValue() != 128 + Signal.KILL.number()) {
                    throw new IllegalStateException("JDK child " + p.pid() + " exit value " + p.exitValue());
                }
            }
        });
    }

    static Run nuProcess(int n) throws Exception {
        return measure(n, () -> new Kind<NuProcessPeer.Child>() {
            @Override
            public NuProcessPeer.Child start() {
                return NuProcessPeer.start(List.of(Procs.SLEEP, "600"), Procs.TAG_NAME, Procs.TAG);
            }

            @Override
            public long pid(NuProcessPeer.Child c) {
                return c.pid();
            }

            @Override
            public void awaitKilled(NuProcessPeer.Child c) throws Exception {
                int code = c.exit().get(120, TimeUnit.SECONDS);
                if (code != Signal.KILL.number()) throw new IllegalStateException("NuProcess child " + c.pid() + " exit code " + code);
            }
        });
    }

    static Report.Section run(Config cfg) throws Exception {
        int[] ns = cfg.quick() ? new int[] {10, 100} : new int[] {10, 100, 1000, 10_000};
        long nofile = BenchNative.raiseNofileSoftLimit(Long.MAX_VALUE);
        Report.Section s = new Report.Section("concurrent", "Threads, heap and spawn time with N processes watched");
        s.method.append("N `sleep 600` children started one after another and watched, all alive at once; then all are ")
                .append("killed with SIGKILL and we wait until every exit has been seen. procwarden: one new `ProcessMonitor` ")
                .append("(created inside the measurement, so its thread counts), `ProcessSpec.spawn(monitor)` + `onExit()` ")
                .append("each. JDK: `ProcessBuilder(\"sleep\", \"600\").inheritIO().start()` + `onExit()` each (inheritIO ")
                .append("because default pipes cost 3 fds per child: 10,000 children would need 30,000 fds, above this ")
                .append(String.format("machine's limit of %,d; procwarden's children inherit stdio too). NuProcess ", nofile))
                .append(NuProcessPeer.VERSION).append(": `NuProcessBuilder(sleep, \"600\").start()` with a handler whose ")
                .append("`onExit` completes a future (it always makes three pipes, so N is bounded by the descriptor ")
                .append("limit). Threads: `ThreadMXBean.getThreadCount()`; watcher threads: procwarden monitor threads added / ")
                .append("the JDK's busy `process reaper (pid N)` threads / NuProcess's `NuProcessQueue-N` event threads. ")
                .append("Heap: used heap after two `System.gc()` calls, during minus before, per process; RSS likewise ")
                .append("(includes thread stacks). Every run is a fresh JVM with the same options, warmed up with 200 ")
                .append("spawn + wait of `/bin/true` by its contender (the JDK keeps idle reaper threads for 60 s, which ")
                .append("would distort the next run in the same JVM). Each line is the median of several runs (N <= 100: 3, ")
                .append("N >= 1,000: 1), the contenders alternating. Time guard: a run whose spawn phase, extrapolated ")
                .append(String.format("from the same contender's per-spawn time at the previous N, would exceed %d s is skipped ", TIME_GUARD_S))
                .append("and says so (`--no-time-guard` runs it anyway), to keep the suite near 10 minutes on a loaded machine.");
        Report.Table t = new Report.Table(null, "N", "contender", "spawn phase (ms)", "per spawn (ms)", "threads before",
                "threads during", "watcher threads", "heap / process (bytes)", "RSS / process (KiB)", "all exits seen (ms)");
        List<String> notes = new ArrayList<>();
        Map<Who, double[]> spawn = new EnumMap<>(Who.class);
        Map<Who, double[]> watchers = new EnumMap<>(Who.class);
        Map<Who, double[]> heap = new EnumMap<>(Who.class);
        Map<Who, Double> perSpawn = new EnumMap<>(Who.class);
        for (Who w : Who.values()) {
            spawn.put(w, new double[ns.length]);
            watchers.put(w, new double[ns.length]);
            heap.put(w, new double[ns.length]);
            perSpawn.put(w, Double.NaN);
        }
        boolean oneThread = true;
        for (int k = 0; k < ns.length; k++) {
            int n = ns[k];
            int reps = cfg.quick() ? 2 : n <= 100 ? 3 : 1;
            Map<Who, Boolean> go = new EnumMap<>(Who.class);
            for (Who w : Who.values()) go.put(w, guard(cfg, w.label, n, perSpawn.get(w), notes));
            if (go.get(Who.NUPROCESS) && 3L * n + 1024 > nofile) {
                go.put(Who.NUPROCESS, false);
                notes.add(String.format("NuProcess at N = %,d not run: its three pipes per child need %,d descriptors, above "
                        + "this machine's limit of %,d.", n, 3L * n, nofile));
            }
            Map<Who, List<Run>> runs = new EnumMap<>(Who.class);
            for (Who w : Who.values()) runs.put(w, new ArrayList<>());
            for (int r = 0; r < reps; r++) {
                for (Who w : Who.values()) {
                    if (!go.get(w)) continue;
                    Bench.log("concurrent: N=" + n + " run " + (r + 1) + "/" + reps + " " + w.label);
                    runs.get(w).add(fresh(w, n));
                }
            }
            for (Who w : Who.values()) {
                Row row = Row.of(runs.get(w), w, notes);
                if (!Double.isNaN(row.spawnMs)) perSpawn.put(w, row.spawnMs / n);
                spawn.get(w)[k] = row.spawnMs;
                watchers.get(w)[k] = Double.isNaN(row.spawnMs) ? Double.NaN : row.watchers;
                heap.get(w)[k] = row.heapPerProcess;
                if (w == Who.PROCWARDEN && go.get(w)) {
                    oneThread &= row.watchers == 1 && row.threadsDuring - row.threadsBefore <= 1;
                }
                if (Double.isNaN(row.spawnMs)) {
                    t.row(String.format("%,d", n), row.name, "-", "-", "-", "-", "-", "-", "-", "-");
                    continue;
                }
                t.row(String.format("%,d", n), row.name, Stats.num(row.spawnMs), String.format("%.3f", row.spawnMs / n),
                        row.threadsBefore, row.threadsDuring, row.watchers, Stats.num(row.heapPerProcess),
                        Stats.num(row.rssPerProcess), Stats.num(row.allExitsMs));
            }
        }
        s.tables.add(t);
        double[] x = new double[ns.length];
        for (int k = 0; k < ns.length; k++) x[k] = ns[k];
        // procwarden is drawn last, on top; say so where NuProcess's line lies under it.
        boolean hidden = true;
        for (int k = 0; k < ns.length; k++) {
            double nu = watchers.get(Who.NUPROCESS)[k];
            if (!Double.isNaN(nu) && nu != watchers.get(Who.PROCWARDEN)[k]) hidden = false;
        }
        Svg.lines(cfg.out().resolve("bench-concurrent-threads.svg"), "Threads that watch N processes", "N (log)",
                "threads (log)", List.of(new Svg.Series("JDK busy reapers", Svg.JDK, x, watchers.get(Who.JDK)),
                        new Svg.Series(hidden ? "NuProcess (under blue)" : "NuProcess event threads",
                                Svg.NUPROCESS, x, watchers.get(Who.NUPROCESS)),
                        new Svg.Series("procwarden monitor", Svg.PROCWARDEN, x, watchers.get(Who.PROCWARDEN))), true, true);
        Svg.lines(cfg.out().resolve("bench-concurrent-spawn.svg"), "Spawn phase: time to start N children (ms)", "N (log)",
                "milliseconds (log)", List.of(new Svg.Series("procwarden", Svg.PROCWARDEN, x, spawn.get(Who.PROCWARDEN)),
                        new Svg.Series("JDK ProcessBuilder", Svg.JDK, x, spawn.get(Who.JDK)),
                        new Svg.Series("NuProcess", Svg.NUPROCESS, x, spawn.get(Who.NUPROCESS))), true, true);
        s.charts.add("bench-concurrent-threads.svg");
        s.charts.add("bench-concurrent-spawn.svg");
        double[] pwSpawn = spawn.get(Who.PROCWARDEN);
        double[] jdkSpawn = spawn.get(Who.JDK);
        double[] pwHeap = heap.get(Who.PROCWARDEN);
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
                        watchers.get(Who.JDK)[last], watchers.get(Who.PROCWARDEN)[last]))
                .append("The JDK parks one `process reaper` thread in a blocking waitpid per child (RSS per process shows ")
                .append("their stacks); procwarden's one loop thread waits for all of them in epoll_wait, and what it keeps ")
                .append("per process is a registration, a pidfd, the `ChildProcess` and its future. ")
                .append(String.format("Spawn phase at N = %,d: procwarden %s ms, JDK %s ms (%s). ", ns[last],
                        Stats.num(pwSpawn[last]), Stats.num(jdkSpawn[last]), Stats.speed(pwSpawn[last], jdkSpawn[last])))
                .append(String.format("Per spawn, from N = %,d to N = %,d: procwarden %.2f -> %.2f ms, JDK %.2f -> %.2f ms. ",
                        ns[0], ns[last], pwSpawn[0] / ns[0], pwSpawn[last] / ns[last], jdkSpawn[0] / ns[0],
                        jdkSpawn[last] / ns[last]))
                .append("Part of procwarden's growth with N is structural: every watched child holds a pidfd, and ")
                .append("posix_spawn copies the whole descriptor table into each new child (the sequential comparison ")
                .append("measures that cost for 10,000 descriptors); the JDK with `inheritIO()` holds no descriptor per ")
                .append("child, but pays two execs and a thread start for each. ");
        double[] nuSpawn = spawn.get(Who.NUPROCESS);
        int nuTop = ns.length - 1;
        while (nuTop > 0 && Double.isNaN(nuSpawn[nuTop])) nuTop--;
        if (!Double.isNaN(nuSpawn[nuTop])) {
            s.reading.append(String.format("NuProcess at N = %,d: %.0f event thread(s), spawn phase %s ms (%.2f ms per spawn), "
                            + "%s bytes of heap per process; it holds three pipe descriptors per child, which caps N below "
                            + "a third of the descriptor limit. ", ns[nuTop], watchers.get(Who.NUPROCESS)[nuTop],
                    Stats.num(nuSpawn[nuTop]), nuSpawn[nuTop] / ns[nuTop], Stats.num(heap.get(Who.NUPROCESS)[nuTop])));
        }
        s.reading.append("The rest of the variation, especially at small N, is warm-up and the machine's load, which rises ")
                .append("while thousands of processes start and die (see the note below).");
        if (top > last) {
            s.reading.append(String.format(" procwarden alone at N = %,d: spawn phase %s ms (%.2f ms per spawn), %.0f monitor "
                    + "thread, %s bytes of heap per process.", ns[top], Stats.num(pwSpawn[top]), pwSpawn[top] / ns[top],
                    watchers.get(Who.PROCWARDEN)[top], Stats.num(pwHeap[top])));
        }
        s.notes.addAll(notes);
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
        static Row of(List<Run> runs, Who who, List<String> failures) {
            String name = who.label;
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
                    Math.round(med(ok, r -> r.during().threads())), Math.round(med(ok, r -> r.watchers(who))),
                    med(ok, Run::heapPerProcess), med(ok, Run::rssKiBPerProcess), med(ok, Run::allExitsMs));
        }

        private static double med(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
            return Stats.medianOf(runs.stream().mapToDouble(f).toArray());
        }
    }
}
