package io.procwarden.bench;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.JailSpec;
import io.procwarden.JailUnavailableException;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.Signal;
import io.procwarden.SpawnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Comparison 6, jailed vs plain spawn: sequential spawn + wait of {@code /bin/true} through the
 * public API ({@code ProcessSpec.jail(JailSpec).spawn(monitor)}), without a jail and with the
 * jail's layers added one at a time (the configurations of {@code JailSpawnCost} in core's tests),
 * then the {@link JailSpec#standard()} preset. Rounds interleave the configurations. A
 * configuration this host cannot honour is reported as not measured, with the reason.
 */
final class JailCost {
    private JailCost() {}

    /** Seconds one spawn + wait may take before it counts as hung. */
    private static final Duration HUNG = Duration.ofSeconds(60);

    private static final int UNTIMED = 10;

    /**
     * One configuration.
     *
     * @param label the table's name for it
     * @param shortName the chart's
     * @param chain what runs, in order, before the target
     * @param noun what the row adds, for the reading
     * @param jail null for the plain spawn
     */
    record Layer(String label, String shortName, String chain, String noun, JailSpec jail, String color) {}

    /** Each row adds one layer to the row above it, except the preset (a mix, without cgroup). */
    static List<Layer> layers() {
        JailSpec prlimit = JailSpec.none().limit(JailSpec.Resource.NOFILE, 1024).limit(JailSpec.Resource.CORE, 0);
        JailSpec setpriv = prlimit.noNewPrivileges().parentDeathSignal(Signal.KILL);
        // JailSpawnCost drops the parent-death signal from here on; we keep it, so that every
        // row differs from the one above by exactly one layer.
        JailSpec cgroup = setpriv.pidsMax(64);
        JailSpec bwrap = cgroup.namespaces(JailSpec.Namespace.PID, JailSpec.Namespace.IPC, JailSpec.Namespace.UTS);
        return List.of(
                new Layer("plain (no jail)", "plain", "true", "", null, Svg.PROCWARDEN),
                new Layer("stub + prlimit (NOFILE, CORE)", "+ stub, prlimit", "sh → true", "The parked stub with prlimit", prlimit,
                        Svg.OTHER),
                new Layer("+ setpriv (no_new_privs, pdeathsig)", "+ setpriv", "sh → setpriv → true", "setpriv", setpriv,
                        Svg.OTHER2),
                new Layer("+ cgroup (pids.max; create, attach, remove)", "+ cgroup", "sh → setpriv → true", "The cgroup", cgroup,
                        Svg.OTHER3),
                new Layer("+ bwrap (PID, IPC, UTS namespaces)", "+ bwrap", "sh → setpriv → bwrap → true", "bwrap", bwrap,
                        Svg.OTHER4),
                new Layer("`JailSpec.standard()` preset", "standard()", "sh → setpriv → bwrap → true", "The preset",
                        JailSpec.standard(), Svg.LIMIT));
    }

    /** The spec every configuration spawns; the tag lets the leftover check find escaped processes. */
    private static ProcessSpec spec(Layer layer) {
        ProcessSpec p = ProcessSpec.of(Procs.TRUE).stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                .stderr(Redirect.DISCARD).env(Procs.TAG_NAME, Procs.TAG);
        return layer.jail() == null ? p : p.jail(layer.jail());
    }

    /** One spawn + wait, in nanoseconds (TreeKill times its contained spawns with it too). */
    static long once(ProcessSpec spec, ProcessMonitor monitor) throws Exception {
        long t0 = System.nanoTime();
        ExitStatus st;
        try (ChildProcess c = spec.spawn(monitor)) {
            var done = c.waitFor(HUNG);
            if (done.isEmpty()) {
                c.kill();
                c.waitFor();
                throw new IllegalStateException("/bin/true did not exit within " + HUNG.toSeconds() + " s: " + c);
            }
            st = done.get();
        }
        long t = System.nanoTime() - t0;
        if (!st.isSuccess()) throw new IllegalStateException("/bin/true (" + spec + "): " + st);
        return t;
    }

    static Report.Section run(Config cfg, ProcessMonitor monitor) throws Exception {
        int rounds = cfg.pick(4, 2);
        int n = cfg.pick(100, 20);
        List<Layer> layers = layers();
        Map<Layer, String> unavailable = new LinkedHashMap<>();
        Map<Layer, SpawnLoop.Samples> results = new LinkedHashMap<>();
        for (Layer l : layers) {
            if (l.jail() != null) {
                try {
                    l.jail().checkSupported(); // public face of JailHost.check: tools, privileges, cgroup controllers
                } catch (JailUnavailableException e) {
                    unavailable.put(l, e.getMessage());
                    continue;
                }
            }
            results.put(l, new SpawnLoop.Samples());
        }
        List<String> notes = new ArrayList<>();
        String cgroupSeen = cgroupOfChild(layers.get(3), unavailable, monitor, notes);
        for (int r = 0; r < rounds; r++) {
            for (Layer l : layers) {
                if (!results.containsKey(l)) continue;
                Bench.log("jail: round " + (r + 1) + "/" + rounds + ", " + l.shortName());
                ProcessSpec spec = spec(l);
                try {
                    for (int i = 0; i < UNTIMED; i++) once(spec, monitor);
                } catch (SpawnException e) {
                    // checkSupported passed, but spawning found what is missing: not a failure of the run.
                    if (r > 0 || !(e.getCause() instanceof JailUnavailableException j)) throw e;
                    unavailable.put(l, j.getMessage());
                    results.remove(l);
                    continue;
                }
                SpawnLoop.Samples out = results.get(l);
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) out.latencies.add(once(spec, monitor));
                out.rates.add(n / ((System.nanoTime() - start) / 1e9));
            }
        }
        notes.add(leftoverCgroups());
        return report(cfg, rounds, n, layers, results, unavailable, cgroupSeen, notes);
    }

    /**
     * Runs {@code cat /proc/self/cgroup} once under the cgroup row's spec (untimed), to show that
     * the layer is real and which hierarchy this host gives it; null when not measured.
     */
    private static String cgroupOfChild(Layer cgroupLayer, Map<Layer, String> unavailable, ProcessMonitor monitor,
            List<String> notes) throws Exception {
        if (unavailable.containsKey(cgroupLayer)) return null;
        ProcessSpec cat = ProcessSpec.of("/bin/cat", "/proc/self/cgroup").stdin(Redirect.DISCARD).stdout(Redirect.PIPE)
                .stderr(Redirect.DISCARD).jail(cgroupLayer.jail());
        try (ChildProcess c = cat.spawn(monitor)) {
            String out = new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8);
            var st = c.waitFor(HUNG);
            if (st.isEmpty()) {
                c.kill();
                c.waitFor();
            }
            List<String> ours = out.lines().filter(line -> line.contains("/procwarden-")).toList();
            if (st.isEmpty() || !st.get().isSuccess() || ours.isEmpty()) {
                notes.add("The cgroup row's child did not show a procwarden cgroup in /proc/self/cgroup: "
                        + st.map(String::valueOf).orElse("hung") + ", output " + out.strip().replace('\n', ' '));
                return null;
            }
            return String.join(", ", ours);
        } catch (SpawnException e) {
            if (!(e.getCause() instanceof JailUnavailableException)) throw e;
            return null; // the main loop reports it as not measured
        }
    }

    /**
     * Looks through every cgroup mount for directories named as the jail names ours
     * ({@code procwarden-<our pid>-<n>}, see core's {@code Cgroups}): the jail removes them before
     * it reports an exit, so none may remain.
     */
    static String leftoverCgroups() {
        String prefix = "procwarden-" + ProcessHandle.current().pid() + "-";
        Set<Path> mounts = new LinkedHashSet<>();
        for (String line : Machine.proc("/proc/self/mountinfo").split("\n")) {
            int dash = line.indexOf(" - ");
            String[] pre = line.split(" ");
            if (dash < 0 || pre.length < 5) continue;
            String fstype = line.substring(dash + 3).split(" ")[0];
            if (fstype.equals("cgroup") || fstype.equals("cgroup2")) mounts.add(Path.of(pre[4]));
        }
        List<Path> found = new ArrayList<>();
        for (Path m : mounts) find(m, prefix, 8, found);
        return found.isEmpty()
                ? String.format("Cgroup check: no `%s*` directory remains under the %d cgroup mounts (%s).", prefix,
                        mounts.size(), mounts.isEmpty() ? "none mounted" : mounts.iterator().next().getParent())
                : "LEFTOVER CGROUPS: " + found;
    }

    private static void find(Path dir, String prefix, int depth, List<Path> found) {
        if (depth == 0) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path p : ds) {
                if (p.getFileName().toString().startsWith(prefix)) found.add(p);
                find(p, prefix, depth - 1, found);
            }
        } catch (IOException | RuntimeException e) {
            // other programs' cgroups come and go while we look: a vanished directory is not ours
        }
    }

    private static Report.Section report(Config cfg, int rounds, int n, List<Layer> layers,
            Map<Layer, SpawnLoop.Samples> res, Map<Layer, String> unavailable, String cgroupSeen, List<String> notes)
            throws IOException {
        Report.Section s = new Report.Section("jail", "Jailed vs plain spawn");
        s.method.append("The cost of each jail layer: start `/bin/true` through the public API, wait for its exit status, ")
                .append("repeat. `ProcessSpec.of(\"/bin/true\").stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)")
                .append(".stderr(Redirect.DISCARD).jail(spec).spawn(monitor)`, then `waitFor`; the plain row is the same ")
                .append("spec without `.jail(...)`. Each row adds one layer to the row above: the parked `/bin/sh` stub whose ")
                .append("limits (RLIMIT_NOFILE 1024, RLIMIT_CORE 0) the parent sets with prlimit(2) before it lets it exec; ")
                .append("then `setpriv` (no_new_privs, parent-death signal SIGKILL, which also moves the spawn onto the ")
                .append("jail's long-lived spawn thread); then a cgroup with pids.max 64, created before the spawn, ")
                .append("joined by the stub, and removed before the exit is reported; then `bwrap` with PID, IPC and UTS ")
                .append("namespaces (plus the mount namespace bwrap always makes: `/` bound, a fresh `/dev` and `/proc`). ")
                .append("The last row is the `JailSpec.standard()` preset: setpriv and bwrap as above, no cgroup, plus ")
                .append("RLIMIT_FSIZE, umask 077, an environment allowlist and `--die-with-parent`. ")
                .append(String.format("%d rounds; each round runs every configuration for %d timed iterations (after %d ",
                        rounds, n, UNTIMED))
                .append("untimed). Rate: median over rounds of iterations per second of wall time; latency percentiles over ")
                .append("all timed iterations. The time includes the jail's teardown, since the exit is reported only after ")
                .append("it. Unit: ms.");
        if (cgroupSeen != null) {
            s.method.append(String.format(" The cgroup row's child, asked once (`cat /proc/self/cgroup`), was in `%s`.",
                    cgroupSeen));
        }
        Layer plainLayer = layers.get(0);
        SpawnLoop.Samples plain = res.get(plainLayer);
        double plainMedian = plain.stats().median();
        Report.Table t = new Report.Table(null, "configuration", "exec chain", "rate (spawns/s)", "median", "p99", "max",
                "median vs plain", "median minus row above");
        List<Svg.Bar> bars = new ArrayList<>();
        Double previous = null;
        for (Layer l : layers) {
            SpawnLoop.Samples sm = res.get(l);
            boolean preset = l == layers.getLast();
            if (sm == null) {
                String why = unavailable.getOrDefault(l, "not run");
                t.row(l.label(), l.chain(), "not measured: " + why.replace("|", "\\|"), "-", "-", "-", "-", "-");
                previous = null;
                continue;
            }
            Stats st = sm.stats();
            String step = l == plainLayer || preset || previous == null ? "-"
                    : String.format(Locale.ROOT, "%+.3f", st.median() - previous);
            t.row(l.label(), l.chain(), Stats.num(sm.rate()), Stats.ms(st.median()), Stats.ms(st.p99()), Stats.ms(st.max()),
                    Stats.ratio(st.median() / plainMedian), step);
            bars.add(new Svg.Bar(l.shortName(), st.median(), st.p99(), l.color(), Stats.ms(st.median()) + " ms, p99 "
                    + Stats.ms(st.p99()) + ", " + Stats.num(sm.rate()) + "/s"));
            previous = st.median();
        }
        s.tables.add(t);
        String chart = "bench-jail.svg";
        Svg.bars(cfg.out().resolve(chart), "Spawn + wait of /bin/true per jail layer: median latency, p99 whisker (ms)",
                "milliseconds (less is better)", bars, false);
        s.charts.add(chart);
        reading(s, layers, res, unavailable, plainMedian);
        s.notes.addAll(notes);
        return s;
    }

    /** What each layer costs, from this run's medians only. */
    private static void reading(Report.Section s, List<Layer> layers, Map<Layer, SpawnLoop.Samples> res,
            Map<Layer, String> unavailable, double plainMedian) {
        s.reading.append(String.format("A plain spawn + wait takes %s ms (%s/s). ", Stats.ms(plainMedian),
                Stats.num(res.get(layers.get(0)).rate())));
        String[] why = {
            null,
            "the child is first a `/bin/sh` stub (one more exec, a shell start-up and its script), with two pipes "
                    + "and a round trip: the spawning thread waits for the stub's ready byte, sets the limits with prlimit "
                    + "and writes the go byte, and only then does the stub exec the target",
            "setpriv is one more exec (a dynamically linked program that sets no_new_privs and the parent-death signal, "
                    + "then execs the target), and the parent-death signal makes the spawn a hand-off to the jail's spawn "
                    + "thread and back",
            "it is a mkdir and a pids.max write before the spawn, a write of the stub's pid to cgroup.procs in "
                    + "the handshake, and after the exit, on a teardown thread, a read of its member list (to kill what "
                    + "is left) and an rmdir, all before the exit is reported",
            "bwrap is yet another exec, creates the PID, IPC, UTS and mount namespaces, mounts `/`, a fresh `/dev` and "
                    + "`/proc`, and forks its own init (pid 1 of the namespace) that runs the target and is reaped in "
                    + "turn before bwrap exits",
        };
        for (int i = 1; i < layers.size() - 1; i++) {
            Layer l = layers.get(i);
            SpawnLoop.Samples cur = res.get(l);
            SpawnLoop.Samples prev = res.get(layers.get(i - 1));
            if (cur == null) {
                s.reading.append(String.format("%s was not measured here (%s). ", l.noun(), unavailable.get(l)));
                continue;
            }
            double m = cur.stats().median();
            if (prev == null) {
                s.reading.append(String.format("%s: %s ms median, %s plain (the row above was not measured); %s. ",
                        l.noun(), Stats.ms(m), Stats.ratio(m / plainMedian), why[i]));
                continue;
            }
            double d = m - prev.stats().median();
            s.reading.append(d > 0
                    ? String.format("%s adds %s ms to the median (%.1f plain spawns' worth; %s plain in all)", l.noun(),
                            Stats.ms(d), d / plainMedian, Stats.ratio(m / plainMedian))
                    : String.format("%s adds no cost this run could tell from noise (%s ms; %s plain in all)", l.noun(),
                            String.format(Locale.ROOT, "%+.3f", d), Stats.ratio(m / plainMedian)));
            s.reading.append(": ").append(why[i]).append(". ");
        }
        Layer preset = layers.getLast();
        SpawnLoop.Samples p = res.get(preset);
        if (p == null) {
            s.reading.append(String.format("The standard() preset was not measured here (%s).", unavailable.get(preset)));
        } else {
            double m = p.stats().median();
            s.reading.append(String.format("The standard() preset, which a caller gets in one line, takes %s ms (%s plain, "
                    + "%s/s)", Stats.ms(m), Stats.ratio(m / plainMedian), Stats.num(p.rate())));
            SpawnLoop.Samples bw = res.get(layers.get(layers.size() - 2));
            if (bw != null) {
                double d = m - bw.stats().median();
                s.reading.append(String.format(", %s ms %s than the bwrap row: it has no cgroup, but filters the "
                        + "environment and adds `--die-with-parent`", Stats.ms(Math.abs(d)), d < 0 ? "less" : "more"));
            }
            s.reading.append(". No target was set for this comparison: the figures say what isolation costs per start, "
                    + "which matters for programs that start many short-lived children, and little for long-running ones.");
        }
    }
}
