package io.procwarden.bench;

import io.procwarden.ProcessMonitor;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the {@link PtyThroughput} comparison (--only=pty) and writes its section: throughput of
 * {@code seq 1 N} through a pseudo-terminal, then the time from the spawn to the first byte of
 * {@code echo}, every contender in the same rounds (the order rotated each round).
 */
final class PtyReport {
    private PtyReport() {}

    static Report.Section run(Config cfg, ProcessMonitor monitor) throws Exception {
        long lines = cfg.pick(2_000_000, 200_000);
        int warm = cfg.pick(2, 1);
        int rounds = cfg.pick(7, 3);
        int latencyRounds = cfg.pick(40, 10);
        List<String> seq = List.of(Procs.which("seq"), "1", Long.toString(lines));
        long expected = PtyThroughput.seqBytesOnTerminal(lines);
        List<String> echo = List.of(Procs.which("echo"), "hi");
        long echoBytes = 4; // "hi\r\n"

        Map<String, String> fds0 = descriptors();
        String sizes = firstSizes(monitor); // first: pty4j's first child in this JVM is among them
        List<PtyThroughput.Who> who = new ArrayList<>(List.of(PtyThroughput.Who.values()));
        if (CTools.binary(cfg, "ptyfloor", "-lutil") == null) who.remove(PtyThroughput.Who.C);
        Map<PtyThroughput.Who, List<PtyThroughput.Round>> tp = rounds(cfg, monitor, who, seq, expected, warm, rounds, "seq");
        Map<PtyThroughput.Who, List<PtyThroughput.Round>> lat = rounds(cfg, monitor, who, echo, echoBytes, 3, latencyRounds, "echo");
        Report.Section s = report(cfg, who, lines, expected, warm, rounds, latencyRounds, tp, lat);
        s.notes.add(sizes);
        Map<String, String> fds1 = descriptors();
        List<String> added = new ArrayList<>();
        fds1.forEach((fd, target) -> {
            if (!target.equals(fds0.get(fd))) added.add(fd + " -> " + target);
        });
        long ptys = fds1.values().stream().filter(t -> t.equals("/dev/ptmx") || t.startsWith("/dev/pts/")).count();
        s.notes.add(String.format(java.util.Locale.ROOT, "Descriptors open in this JVM before the section: %d; after it: %d%s; "
                + "on a terminal (/dev/ptmx, /dev/pts/*) after it: %d.", fds0.size(), fds1.size(),
                added.isEmpty() ? "" : " (new: " + String.join(", ", added) + ")", ptys));
        return s;
    }

    private static Map<PtyThroughput.Who, List<PtyThroughput.Round>> rounds(Config cfg, ProcessMonitor monitor,
            List<PtyThroughput.Who> who, List<String> command, long expected, int warm, int rounds, String what) throws Exception {
        for (int w = 0; w < warm; w++) {
            for (PtyThroughput.Who x : who) PtyThroughput.round(cfg, monitor, x, command, expected);
        }
        Map<PtyThroughput.Who, List<PtyThroughput.Round>> out = new EnumMap<>(PtyThroughput.Who.class);
        for (PtyThroughput.Who x : who) out.put(x, new ArrayList<>());
        for (int r = 0; r < rounds; r++) {
            if (what.equals("seq") || r % 10 == 0) Bench.log("pty: " + what + " round " + (r + 1) + "/" + rounds);
            for (int k = 0; k < who.size(); k++) {
                PtyThroughput.Who x = who.get((k + r) % who.size());
                out.get(x).add(PtyThroughput.round(cfg, monitor, x, command, expected));
            }
        }
        return out;
    }

    private static double median(List<PtyThroughput.Round> rs, java.util.function.ToDoubleFunction<PtyThroughput.Round> f) {
        return Stats.medianOf(rs.stream().mapToDouble(f).toArray());
    }

    private static Report.Section report(Config cfg, List<PtyThroughput.Who> who, long lines, long expected, int warm,
            int rounds, int latencyRounds, Map<PtyThroughput.Who, List<PtyThroughput.Round>> tp,
            Map<PtyThroughput.Who, List<PtyThroughput.Round>> lat) throws Exception {
        Report.Section s = new Report.Section("pty", "Pseudo-terminal throughput");
        s.method.append(String.format(java.util.Locale.ROOT, """
                One chatty child through a pseudo-terminal (80x24), read to its end: `seq 1 %d`, %,d bytes as the \
                terminal gives them (its default `onlcr` turns every `\\n` into `\\r\\n`). Every reader reads 64 KiB at \
                a time; every round must receive every byte (a round that does not fails the run). Contenders: \
                procwarden (`ProcessSpec.of(...).pty(new TerminalSize(80, 24)).spawn(monitor)`, `stdout()` read to \
                the end, then `waitFor()`; the master is on the monitor's epoll loop and the reading thread makes \
                the non-blocking `read(2)` itself: a platform thread (this harness's main thread) waits in `poll(2)` \
                when the terminal is empty, a virtual thread parks until the loop reports it readable); pty4j %s \
                (JetBrains, from Maven Central, a dependency of the benchmark module only: JNA %s and its own \
                `libpty.so`; `PtyProcessBuilder` with stderr on the terminal, `getInputStream()` read on the main \
                thread, then `waitFor()`); and a C program compiled on the spot (`bench/src/main/c/ptyfloor.c`: \
                `forkpty`, `read` until EIO, `waitpid`: the floor). %d untimed rounds, then %d timed rounds, all \
                contenders in every round, the order rotated from round to round. Wall: from before the spawn until \
                the child is reaped; CPU: the consuming process's own (this JVM's `getProcessCpuTime`, or the C \
                program's `getrusage(RUSAGE_SELF)`), not the child's; threads: platform threads this JVM added at \
                the peak of a round (ThreadMXBean; for the virtual-thread reader this includes the carrier threads \
                the JDK's scheduler starts on demand); bytes per read: the mean over the reads that returned data (a \
                reader that comes back later finds more in the terminal's buffer). Then the time from the spawn to the first byte, with `echo hi` \
                (4 bytes), %d rounds after 3 untimed, the same way.
                """, lines, expected, PtyThroughput.PTY4J_VERSION, jnaVersion(), warm, rounds, latencyRounds));

        PtyThroughput.Who floor = who.contains(PtyThroughput.Who.C) ? PtyThroughput.Who.C : null;
        double cWall = floor == null ? Double.NaN : median(tp.get(floor), r -> r.wallNs());
        double pWall = median(tp.get(PtyThroughput.Who.PTY4J), r -> r.wallNs());
        Report.Table t = new Report.Table(String.format(java.util.Locale.ROOT, "seq 1 %d through the pty, %d rounds", lines, rounds),
                "contender", "median wall ms", "min-max ms", "MB/s", "CPU ms", "CPU ms/MB", "bytes per read", "threads added (max)",
                "bytes, every round", "wall vs C", "wall vs pty4j");
        List<Svg.Bar> bars = new ArrayList<>();
        for (PtyThroughput.Who x : who) {
            List<PtyThroughput.Round> rs = tp.get(x);
            double wall = median(rs, r -> r.wallNs());
            double cpu = median(rs, r -> r.cpuNs());
            double mb = median(rs, PtyThroughput.Round::mbPerSecond);
            Stats st = Stats.ofNanos(rs.stream().mapToLong(PtyThroughput.Round::wallNs).toArray());
            int threads = threads(rs, lat.get(x));
            t.row(x.label, Stats.ms(wall / 1e6), Stats.ms(st.min()) + "-" + Stats.ms(st.max()), Stats.num(mb),
                    Stats.ms(cpu / 1e6), String.format(java.util.Locale.ROOT, "%.1f", cpu / 1e6 / (expected / 1e6)),
                    Stats.num(median(rs, r -> (double) r.bytes() / r.reads())),
                    x == PtyThroughput.Who.C ? "- (one thread)" : threads, String.format(java.util.Locale.ROOT, "%,d", expected),
                    Double.isNaN(cWall) ? "-" : Stats.ratio(wall / cWall), Stats.ratio(wall / pWall));
            bars.add(new Svg.Bar(x.label, mb, Double.NaN, x.color, Stats.num(mb) + " MB/s, " + Stats.ms(cpu / 1e6) + " ms CPU"));
        }
        s.tables.add(t);
        String chart = "bench-pty.svg";
        Svg.bars(cfg.out().resolve(chart), String.format(java.util.Locale.ROOT, "seq 1 %d through a pty: median MB/s", lines),
                "MB/s", bars, false);
        s.charts.add(chart);

        double cFirst = floor == null ? Double.NaN : median(lat.get(floor), r -> r.firstByteNs());
        double pFirst = median(lat.get(PtyThroughput.Who.PTY4J), r -> r.firstByteNs());
        Report.Table l = new Report.Table(String.format(java.util.Locale.ROOT, "Spawn to first byte, echo hi, %d rounds", latencyRounds),
                "contender", "median ms", "p99 ms", "max ms", "spawn to reaped, median ms", "vs C", "vs pty4j");
        for (PtyThroughput.Who x : who) {
            List<PtyThroughput.Round> rs = lat.get(x);
            Stats st = Stats.ofNanos(rs.stream().mapToLong(PtyThroughput.Round::firstByteNs).toArray());
            double first = median(rs, r -> r.firstByteNs());
            l.row(x.label, Stats.ms(st.median()), Stats.ms(st.p99()), Stats.ms(st.max()),
                    Stats.ms(median(rs, r -> r.wallNs()) / 1e6), Double.isNaN(cFirst) ? "-" : Stats.ratio(first / cFirst),
                    Stats.ratio(first / pFirst));
        }
        s.tables.add(l);

        double oursMb = median(tp.get(PtyThroughput.Who.PLATFORM), PtyThroughput.Round::mbPerSecond);
        double pMb = median(tp.get(PtyThroughput.Who.PTY4J), PtyThroughput.Round::mbPerSecond);
        if (floor != null) {
            double r = oursMb / median(tp.get(floor), PtyThroughput.Round::mbPerSecond);
            s.verdict("procwarden (platform thread) throughput >= 0.8x the C floor", Stats.ratio(r), r >= 0.8);
        }
        s.verdict("procwarden (platform thread) throughput >= pty4j's", Stats.ratio(oursMb / pMb) + " pty4j's", oursMb >= pMb);
        int added = threads(tp.get(PtyThroughput.Who.PLATFORM), lat.get(PtyThroughput.Who.PLATFORM));
        s.verdict("procwarden (platform thread) adds no thread for a pty child", added + " at most", added == 0);
        if (floor == null) s.notes.add(CTools.whyNot("ptyfloor"));
        s.reading.append(String.format(java.util.Locale.ROOT,
                "Median throughput: procwarden %s MB/s (platform thread), %s MB/s (virtual thread), pty4j %s MB/s%s. ",
                Stats.num(oursMb), Stats.num(median(tp.get(PtyThroughput.Who.VIRTUAL), PtyThroughput.Round::mbPerSecond)),
                Stats.num(pMb), floor == null ? "" : ", C " + Stats.num(median(tp.get(floor), PtyThroughput.Round::mbPerSecond)) + " MB/s"));
        double oursCpu = median(tp.get(PtyThroughput.Who.PLATFORM), r -> r.cpuNs());
        double pCpu = median(tp.get(PtyThroughput.Who.PTY4J), r -> r.cpuNs());
        s.reading.append(String.format(java.util.Locale.ROOT, "This JVM spent %s ms of CPU per round reading with procwarden "
                + "(platform thread) and %s ms with pty4j (%s)%s. ", Stats.ms(oursCpu / 1e6), Stats.ms(pCpu / 1e6),
                Stats.ratio(pCpu / oursCpu),
                floor == null ? "" : "; the C reader " + Stats.ms(median(tp.get(floor), r -> r.cpuNs()) / 1e6) + " ms"));
        int pThreads = threads(tp.get(PtyThroughput.Who.PTY4J), lat.get(PtyThroughput.Who.PTY4J));
        s.reading.append(String.format(java.util.Locale.ROOT, "pty4j added up to %d platform thread(s) per child (its "
                + "per-process reaper), procwarden's platform-thread reader %d. ", pThreads, added));
        s.reading.append(String.format(java.util.Locale.ROOT, "From the spawn to the first byte of `echo`: procwarden %s ms, "
                + "pty4j %s ms%s (medians). ", Stats.ms(median(lat.get(PtyThroughput.Who.PLATFORM), r -> r.firstByteNs()) / 1e6),
                Stats.ms(pFirst / 1e6), Double.isNaN(cFirst) ? "" : ", C " + Stats.ms(cFirst / 1e6) + " ms"));
        s.reading.append("Mean bytes per read: ");
        for (PtyThroughput.Who x : who) {
            s.reading.append(x == who.getFirst() ? "" : ", ").append(x.label.substring(0, x.label.indexOf(',')))
                    .append(x == PtyThroughput.Who.VIRTUAL ? " (virtual thread)" : x == PtyThroughput.Who.PLATFORM ? " (platform thread)" : "")
                    .append(' ').append(Stats.num(median(tp.get(x), r -> (double) r.bytes() / r.reads())));
        }
        s.reading.append(". ");
        s.reading.append("The child and the terminal's output processing (`onlcr` on every line) take a share of the ")
                .append("machine's two cores in every contender alike; the wall time is the whole pipeline's.");
        return s;
    }

    /** What the children's first {@code stty size} printed, 20 children per Java contender, counted. */
    private static String firstSizes(ProcessMonitor monitor) throws Exception {
        Map<PtyThroughput.Who, Map<String, Integer>> seen = new EnumMap<>(PtyThroughput.Who.class);
        for (int i = 0; i < 20; i++) {
            for (PtyThroughput.Who x : List.of(PtyThroughput.Who.PTY4J, PtyThroughput.Who.PLATFORM)) {
                seen.computeIfAbsent(x, k -> new java.util.TreeMap<>())
                        .merge("\"" + PtyThroughput.firstSttySize(monitor, x) + "\"", 1, Integer::sum);
            }
        }
        List<String> parts = new ArrayList<>();
        for (PtyThroughput.Who x : List.of(PtyThroughput.Who.PLATFORM, PtyThroughput.Who.PTY4J)) {
            parts.add(x.label.substring(0, x.label.indexOf(',')) + ": " + seen.get(x).entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue() + " times").collect(java.util.stream.Collectors.joining(", ")));
        }
        return "The child's first `stty size` (rows columns), 80x24 asked for, 20 children each, alternating, pty4j's "
                + "first child of this JVM the first of all: " + String.join("; ", parts) + ".";
    }

    /** This JVM's open descriptors and what they point to. */
    private static Map<String, String> descriptors() throws java.io.IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        String self = "/proc/" + ProcessHandle.current().pid() + "/fd";
        try (var dir = java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/fd"))) {
            for (java.nio.file.Path p : dir) {
                try {
                    String target = java.nio.file.Files.readSymbolicLink(p).toString();
                    if (!target.equals(self)) out.put(p.getFileName().toString(), target); // not the listing's own
                } catch (java.nio.file.NoSuchFileException e) {
                    // closed since the listing
                }
            }
        }
        return out;
    }

    /** The most platform threads added in any round of either phase. */
    private static int threads(List<PtyThroughput.Round> a, List<PtyThroughput.Round> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).mapToInt(PtyThroughput.Round::threadsAdded).max().orElse(0);
    }

    private static String jnaVersion() {
        Package p = com.sun.jna.Native.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v != null ? v : com.sun.jna.Native.VERSION;
    }
}
