package io.procwarden.bench;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs the {@link Stdio} comparison (--only=stdio) and writes its section of the report. */
final class StdioReport {
    private StdioReport() {}

    static Report.Section run(Config cfg) throws Exception {
        List<Integer> ns = new ArrayList<>(cfg.quick() ? List.of(100) : List.of(100, 1000));
        if (cfg.noTimeGuard() && !cfg.quick()) ns.add(10_000);
        Report.Section s = new Report.Section("stdio", "Draining children's output");
        s.method.append("""
                N children at once, each writing to a stdout pipe, every byte consumed: `head -c 1048576 /dev/zero` \
                (1 MiB each) or `seq 1 200000` (chatty: 1.29 MB in 4 KiB writes). Wall time runs from the first spawn \
                until every byte is read and every child has exited; CPU is the consuming process's own (the JVM's, \
                or the C program's), not the children's; threads are those added at the peak (ThreadMXBean peak minus \
                the count when the JVM started, so the JDK's reapers and NuProcess's threads kept from the warm-up \
                count); heap is the peak of the heap pools. Each figure is one run in a fresh JVM after \
                five warm-up rounds of 100 children of the same kind. procwarden push: a Flow subscriber per child \
                with unbounded demand, served by the one monitor thread; pull: a virtual thread per child reading \
                `stdout()`. The C floor (`bench/src/main/c/drainfloor.c`) posix_spawns the same children and drains \
                every pipe in one epoll loop.
                """);
        Map<Stdio.Load, Map<Integer, Map<Stdio.Who, Stdio.Result>>> all = new EnumMap<>(Stdio.Load.class);
        int rotation = 0;
        for (Stdio.Load load : Stdio.Load.values()) {
            Map<Integer, Map<Stdio.Who, Stdio.Result>> byN = new LinkedHashMap<>();
            for (int n : ns) {
                Map<Stdio.Who, Stdio.Result> results = new EnumMap<>(Stdio.Who.class);
                Stdio.Who[] order = Stdio.Who.values();
                for (int k = 0; k < order.length; k++) {
                    Stdio.Who who = order[(k + rotation) % order.length];
                    Bench.log("stdio: " + load.label + ", N=" + n + ", " + who.label);
                    Stdio.Result r = Stdio.fresh(cfg, who, load, n);
                    if (r != null) results.put(who, r);
                }
                rotation++;
                byN.put(n, results);
            }
            all.put(load, byN);
        }
        for (Stdio.Load load : Stdio.Load.values()) {
            Report.Table t = new Report.Table(load.label, "N", "contender", "wall ms", "MiB/s", "CPU ms", "CPU ms/MiB",
                    "threads added", "peak heap MiB", "MiB received");
            for (var e : all.get(load).entrySet()) {
                for (var r : e.getValue().entrySet()) {
                    Stdio.Result x = r.getValue();
                    t.row(e.getKey(), r.getKey().label, Stdio.fmt("%.0f", x.wallNs() / 1e6), Stdio.fmt("%.0f", x.mibPerSecond()),
                            Stdio.fmt("%.0f", x.cpuNs() / 1e6), Stdio.fmt("%.2f", x.cpuMsPerMib()), x.threadsAdded(),
                            r.getKey() == Stdio.Who.C ? "-" : Stdio.fmt("%.0f", x.heapPeak() / 1048576.0), Stdio.fmt("%.1f", x.mib()));
                }
            }
            s.tables.add(t);
            int big = ns.contains(1000) ? 1000 : ns.getLast();
            List<Svg.Bar> bars = new ArrayList<>();
            for (var r : all.get(load).get(big).entrySet()) {
                bars.add(new Svg.Bar(r.getKey().label, r.getValue().wallNs() / 1e6, Double.NaN, r.getKey().color,
                        Stdio.fmt("%.0f ms, %d threads", r.getValue().wallNs() / 1e6, r.getValue().threadsAdded())));
            }
            String chart = "bench-stdio-" + load.name().toLowerCase(java.util.Locale.ROOT) + ".svg";
            Svg.bars(cfg.out().resolve(chart), "Draining " + big + " children, " + load.label + ": wall time", "ms", bars, false);
            s.charts.add(chart);
            verdicts(s, load, all.get(load), big);
        }
        if (CTools.whyNot("drainfloor") != null) s.notes.add(CTools.whyNot("drainfloor"));
        return s;
    }

    private static void verdicts(Report.Section s, Stdio.Load load, Map<Integer, Map<Stdio.Who, Stdio.Result>> byN, int big) {
        long maxThreads = byN.values().stream().mapToLong(m -> m.get(Stdio.Who.PUSH).threadsAdded()).max().orElse(-1);
        s.verdict(load.label + ": procwarden push adds 1 thread at every N", maxThreads + " at most", maxThreads <= 1);
        Map<Stdio.Who, Stdio.Result> m = byN.get(big);
        Stdio.Result push = m.get(Stdio.Who.PUSH);
        Stdio.Result c = m.get(Stdio.Who.C);
        if (c != null) {
            double tp = push.mibPerSecond() / c.mibPerSecond();
            s.verdict(load.label + ", N=" + big + ": throughput >= 0.8x the C floor", Stdio.fmt("%.2fx", tp), tp >= 0.8);
            double cpu = push.cpuMsPerMib() / c.cpuMsPerMib();
            s.verdict(load.label + ", N=" + big + ": CPU per MiB <= 1.5x the C floor", Stdio.fmt("%.2fx", cpu), cpu <= 1.5);
        }
        for (Stdio.Who peer : List.of(Stdio.Who.NUPROCESS, Stdio.Who.JDK_PLATFORM, Stdio.Who.JDK_VIRTUAL)) {
            Stdio.Result p = m.get(peer);
            boolean ahead = push.wallNs() < p.wallNs() && push.threadsAdded() < p.threadsAdded() && push.cpuNs() < p.cpuNs();
            s.verdict(load.label + ", N=" + big + ": push ahead of " + peer.label + " on wall time, threads and CPU",
                    Stdio.fmt("%.0f vs %.0f ms, %d vs %d threads, %.0f vs %.0f ms CPU", push.wallNs() / 1e6, p.wallNs() / 1e6,
                            push.threadsAdded(), p.threadsAdded(), push.cpuNs() / 1e6, p.cpuNs() / 1e6), ahead);
        }
    }
}
