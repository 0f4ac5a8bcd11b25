package io.procwarden.bench;

import io.procwarden.BenchAccess;
import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.monitor.MonitorLoop;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sequential spawn + wait of {@code /bin/true}: procwarden, {@code ProcessBuilder} (default
 * pipes, and inheritIO), and a C posix_spawn + waitpid loop, with no extra descriptors and
 * with 10,000 extra descriptors open in the parent. Rounds interleave every contender and both
 * descriptor counts.
 */
final class SpawnLoop {
    private SpawnLoop() {}

    static final int EXTRA_FDS = 10_000;

    enum Who {
        PROCWARDEN("procwarden (posix_spawn + pidfd + monitor)", Svg.PROCWARDEN),
        JDK("JDK `ProcessBuilder.start().waitFor()`", Svg.JDK),
        JDK_INHERIT("JDK, `inheritIO()` (no pipes)", Svg.OTHER2),
        C("C posix_spawn + waitpid (limit)", Svg.LIMIT);

        final String label;
        final String color;

        Who(String label, String color) {
            this.label = label;
            this.color = color;
        }
    }

    /** Latencies and per-round rates of one contender at one descriptor count. */
    static final class Samples {
        final List<Long> latencies = new ArrayList<>();
        final List<Double> rates = new ArrayList<>();

        Stats stats() {
            return Stats.ofNanos(Bench.toArray(latencies));
        }

        double rate() {
            return Stats.medianOf(rates.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }

    static long procwarden(MonitorLoop loop) throws Exception {
        long t0 = System.nanoTime();
        Procs.Child c = Procs.spawn(loop, Procs.TRUE, List.of("true"), null);
        ExitStatus st = c.exit().get(30, TimeUnit.SECONDS);
        long t = System.nanoTime() - t0;
        if (!st.isSuccess()) throw new IllegalStateException("/bin/true: " + st);
        return t;
    }

    static long jdk(boolean inheritIO) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Procs.TRUE);
        if (inheritIO) pb.inheritIO();
        long t0 = System.nanoTime();
        Process p = pb.start();
        int rc = p.waitFor();
        long t = System.nanoTime() - t0;
        if (rc != 0) throw new IllegalStateException("/bin/true exit " + rc);
        Procs.closeStreams(p);
        return t;
    }

    /** One timed block of a Java contender: a few untimed iterations, then {@code n} timed. */
    private static void block(Who who, MonitorLoop loop, int n, Samples out) throws Exception {
        for (int i = 0; i < 20; i++) one(who, loop);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) out.latencies.add(one(who, loop));
        out.rates.add(n / ((System.nanoTime() - start) / 1e9));
    }

    private static long one(Who who, MonitorLoop loop) throws Exception {
        return switch (who) {
            case PROCWARDEN -> procwarden(loop);
            case JDK -> jdk(false);
            case JDK_INHERIT -> jdk(true);
            case C -> throw new IllegalArgumentException("C runs in its own process");
        };
    }

    /** Runs the C loop; its output is "total_ns N" then one latency per line. */
    private static void cBlock(Path binary, int n, int extraFds, Samples out) throws Exception {
        List<String> lines = CTools.run(binary, Integer.toString(n), "50", Integer.toString(extraFds));
        if (lines.size() != n + 1 || !lines.get(0).startsWith("total_ns ")) {
            throw new IllegalStateException("spawnloop printed " + lines.size() + " lines, expected " + (n + 1));
        }
        long total = Long.parseLong(lines.get(0).substring(9));
        for (int i = 1; i <= n; i++) out.latencies.add(Long.parseLong(lines.get(i)));
        out.rates.add(n / (total / 1e9));
    }

    /** Opens {@code n} descriptors on /dev/null (close-on-exec), raising the soft limit if needed. */
    static List<Fd> openExtra(int n) throws SyscallException {
        long open = Bench.openFds();
        BenchNative.raiseNofileSoftLimit(open + n + 4096);
        List<Fd> fds = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) fds.add(Unistd.open("/dev/null", Unistd.O_RDONLY, 0));
        } catch (SyscallException | RuntimeException e) {
            for (Fd f : fds) f.close();
            throw e;
        }
        return fds;
    }

    static Report.Section run(Config cfg, ProcessMonitor monitor) throws Exception {
        MonitorLoop loop = BenchAccess.loop(monitor);
        List<String> notes = new ArrayList<>();
        Path c = CTools.binary(cfg, "spawnloop");
        if (c == null) notes.add(CTools.whyNot("spawnloop"));
        int rounds = cfg.pick(5, 2);
        int n = cfg.pick(200, 60);
        int[] modes = {0, EXTRA_FDS};
        List<Map<Who, Samples>> results = List.of(new EnumMap<>(Who.class), new EnumMap<>(Who.class));
        for (Map<Who, Samples> m : results) for (Who w : Who.values()) m.put(w, new Samples());
        long fdsBefore = Bench.openFds();
        for (int r = 0; r < rounds; r++) {
            for (int mi = 0; mi < modes.length; mi++) {
                List<Fd> extra = modes[mi] > 0 ? openExtra(modes[mi]) : List.of();
                try {
                    for (Who w : Who.values()) {
                        Bench.log("spawn loop: round " + (r + 1) + "/" + rounds + ", " + modes[mi] + " extra fds, " + w);
                        if (w == Who.C) {
                            if (c != null) cBlock(c, n, modes[mi], results.get(mi).get(w));
                        } else {
                            block(w, loop, n, results.get(mi).get(w));
                        }
                    }
                } finally {
                    for (Fd f : extra) f.close();
                }
            }
        }
        long fdsAfter = Bench.openFds();
        if (fdsAfter > fdsBefore + 16) notes.add("open descriptors grew from " + fdsBefore + " to " + fdsAfter + " during the loop");
        return report(cfg, rounds, n, modes, results, c != null, notes);
    }

    private static Report.Section report(Config cfg, int rounds, int n, int[] modes, List<Map<Who, Samples>> res,
            boolean haveC, List<String> notes) throws IOException {
        Report.Section s = new Report.Section("spawn", "Sequential spawn + wait of /bin/true");
        s.method.append("One process at a time: start `/bin/true`, wait for its exit status, repeat. procwarden: internal ")
                .append("`PosixSpawner` (posix_spawn with close_range of every inherited fd, empty signal mask, default ")
                .append("dispositions) + pidfd + `registerChild`, waiting on the future the monitor thread completes. ")
                .append("JDK: `new ProcessBuilder(\"/bin/true\").start().waitFor()` (default: three pipes), and the same ")
                .append("with `inheritIO()`. C: `posix_spawn` + `waitpid` compiled with `gcc -O2` at run time ")
                .append("(`bench/src/main/c/spawnloop.c`). ").append(String.format(
                        "%d rounds; each round runs every contender for %d timed iterations (after 20 untimed; the C ", rounds, n))
                .append("program does 50 untimed in its own process), first with no extra descriptors, then with ")
                .append(String.format("%,d extra descriptors on /dev/null (O_CLOEXEC) open in the parent (the C program ", EXTRA_FDS))
                .append("opens the same number itself). Rate: median over rounds of iterations per second of wall time; ")
                .append("latency percentiles over all timed iterations. Unit: ms.");
        Stats cNone = haveC ? res.get(0).get(Who.C).stats() : null;
        List<Svg.Bar> bars = new ArrayList<>();
        for (int mi = 0; mi < modes.length; mi++) {
            Map<Who, Samples> m = res.get(mi);
            double jdkRate = m.get(Who.JDK).rate();
            double cRate = haveC ? m.get(Who.C).rate() : Double.NaN;
            Report.Table t = new Report.Table(String.format("%,d extra descriptors in the parent", modes[mi]),
                    "contender", "rate (spawns/s)", "median", "p99", "max", "rate vs JDK", "rate vs C");
            for (Who w : Who.values()) {
                if (w == Who.C && !haveC) continue;
                Samples sm = m.get(w);
                Stats st = sm.stats();
                t.row(w.label, Stats.num(sm.rate()), Stats.ms(st.median()), Stats.ms(st.p99()), Stats.ms(st.max()),
                        Stats.ratio(sm.rate() / jdkRate), haveC ? Stats.ratio(sm.rate() / cRate) : "-");
                bars.add(new Svg.Bar(String.format("%s fds: %s", modes[mi] == 0 ? "0" : "10k", shortName(w)), sm.rate(),
                        Double.NaN, w.color, Stats.num(sm.rate()) + "/s (median " + Stats.ms(st.median()) + " ms)"));
            }
            s.tables.add(t);
        }
        Report.Table fx = new Report.Table(String.format("Effect of %,d open descriptors (median latency)", EXTRA_FDS),
                "contender", "0 extra fds", "10,000 extra fds", "ratio");
        for (Who w : Who.values()) {
            if (w == Who.C && !haveC) continue;
            double a = res.get(0).get(w).stats().median();
            double b = res.get(1).get(w).stats().median();
            fx.row(w.label, Stats.ms(a), Stats.ms(b), Stats.ratio(b / a));
        }
        s.tables.add(fx);
        String chart = "bench-spawn-rate.svg";
        Svg.bars(cfg.out().resolve(chart), "Sequential spawn + wait of /bin/true: spawns per second (more is better)",
                "spawns per second", bars, false);
        s.charts.add(chart);

        Samples pw0 = res.get(0).get(Who.PROCWARDEN);
        Samples pw1 = res.get(1).get(Who.PROCWARDEN);
        double vsJdk = pw0.rate() / res.get(0).get(Who.JDK).rate();
        s.verdict(">= 2x ProcessBuilder's rate", Stats.ratio(vsJdk), vsJdk >= 2);
        double vsC = haveC ? pw0.rate() / res.get(0).get(Who.C).rate() : Double.NaN;
        if (haveC) s.verdict(">= 0.9x the C loop's rate", Stats.ratio(vsC), vsC >= 0.9);
        double fdRatio = pw1.stats().median() / pw0.stats().median();
        s.verdict("with 10,000 open fds, spawn time within 10% of none (median latency)", Stats.ratio(fdRatio), fdRatio <= 1.10);
        double vsJdk1 = pw1.rate() / res.get(1).get(Who.JDK).rate();
        s.reading.append(String.format("procwarden runs %s spawns/s, %s the JDK's rate and %s the C loop's",
                        Stats.num(pw0.rate()), Stats.ratio(vsJdk), haveC ? Stats.ratio(vsC) : "(no C)"))
                .append(String.format(" (with 10,000 open descriptors: %s the JDK's). ", Stats.ratio(vsJdk1)))
                .append("The JDK's default launch goes through jspawnhelper: posix_spawn of the helper, which ")
                .append("closes descriptors, then execs the target, so every start pays two execs plus pipe setup; ")
                .append("procwarden does one posix_spawn whose child calls close_range and execs. What is left between ")
                .append("procwarden and C is the Java side (building the argv/file actions in native memory, ")
                .append("pidfd_open, registering with the monitor) and the wake-up hand-off from the monitor thread ")
                .append("(epoll_wait, waitid) to the waiting thread, where C's waitpid returns in the same thread. ")
                .append(String.format("10,000 extra descriptors cost procwarden %s (C %s, JDK %s): ", Stats.ratio(fdRatio),
                        haveC ? Stats.ratio(res.get(1).get(Who.C).stats().median() / cNone.median()) : "-",
                        Stats.ratio(res.get(1).get(Who.JDK).stats().median() / res.get(0).get(Who.JDK).stats().median())))
                .append("the kernel still copies the descriptor table into each child (posix_spawn uses CLONE_VM, not ")
                .append("CLONE_FILES) and close_range/exec then drop the copies, a cost C pays too.");
        s.notes.addAll(notes);
        return s;
    }

    private static String shortName(Who w) {
        return switch (w) {
            case PROCWARDEN -> "procwarden";
            case JDK -> "JDK ProcessBuilder";
            case JDK_INHERIT -> "JDK inheritIO";
            case C -> "C posix_spawn";
        };
    }
}
