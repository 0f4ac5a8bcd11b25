package io.procwarden.bench;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.Signal;
import io.procwarden.SpawnException;
import io.procwarden.TreeMechanism;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Comparison 7, whole-tree containment ({@code ProcessSpec.containTree()}): what a contained spawn
 * costs against a plain one (spawn + wait of {@code /bin/true}), and how long
 * {@code terminateTree} takes from the call until the tree is empty (its future completes) for
 * trees of 1, 10 and 100 processes, on every rung of the ladder this host offers (forced one at a
 * time with {@value TreeMechanism#PROPERTY}; the cgroup rungs interleaved in rounds; the
 * subreaper rung is allowed for this run only and measured after them, on its own, since it
 * makes this JVM a subreaper for good).
 */
final class TreeKill {
    private TreeKill() {}

    private static final Duration HUNG = Duration.ofSeconds(60);
    private static final int[] SIZES = {1, 10, 100};

    /** One configuration: null rung for the plain spawn. */
    record Config7(String label, TreeMechanism rung) {}

    static Report.Section run(Config cfg, ProcessMonitor monitor) throws Exception {
        TreeMechanism.allowSubreaper();
        String before = System.getProperty(TreeMechanism.PROPERTY);
        try {
            return measure(cfg, monitor);
        } finally {
            if (before == null) System.clearProperty(TreeMechanism.PROPERTY);
            else System.setProperty(TreeMechanism.PROPERTY, before);
        }
    }

    private static Report.Section measure(Config cfg, ProcessMonitor monitor) throws Exception {
        int rounds = cfg.pick(4, 2);
        int n = cfg.pick(100, 20);
        int kills = cfg.pick(10, 3);
        List<TreeMechanism> rungs = new ArrayList<>();
        Map<TreeMechanism, String> unavailable = new LinkedHashMap<>();
        for (TreeMechanism m : TreeMechanism.values()) {
            if (m.isAvailable()) rungs.add(m);
            else unavailable.put(m, m.unavailabilityCause().map(Throwable::getMessage).orElse("?"));
        }
        List<Config7> configs = new ArrayList<>();
        configs.add(new Config7("plain (not contained)", null));
        for (TreeMechanism m : rungs) configs.add(new Config7("containTree(), " + m.id(), m));

        Map<Config7, SpawnLoop.Samples> spawn = new LinkedHashMap<>();
        for (Config7 c : configs) spawn.put(c, new SpawnLoop.Samples());
        Map<String, List<Long>> kill = new LinkedHashMap<>();
        // The subreaper rung last and on its own: it makes this JVM a subreaper for good, and the
        // cgroup rungs measured after it would then have adopted orphans too.
        List<List<Config7>> blocks = new ArrayList<>();
        blocks.add(configs.stream().filter(c -> c.rung() != TreeMechanism.SUBREAPER).toList());
        blocks.add(configs.stream().filter(c -> c.rung() == TreeMechanism.SUBREAPER).toList());
        for (List<Config7> block : blocks) {
            for (int r = 0; r < rounds; r++) {
                runRound(block, r, rounds, n, kills, spawn, kill, monitor);
            }
        }
        System.clearProperty(TreeMechanism.PROPERTY);
        return report(rounds, n, kills, configs, spawn, rungs, kill, unavailable);
    }

    private static void runRound(List<Config7> block, int r, int rounds, int n, int kills, Map<Config7, SpawnLoop.Samples> spawn,
            Map<String, List<Long>> kill, ProcessMonitor monitor) throws Exception {
        {
            for (Config7 c : block) {
                Bench.log("tree: spawn round " + (r + 1) + "/" + rounds + ", " + c.label());
                ProcessSpec spec = force(c.rung(), ProcessSpec.of(Procs.TRUE).stdin(Redirect.DISCARD)
                        .stdout(Redirect.DISCARD).stderr(Redirect.DISCARD).env(Procs.TAG_NAME, Procs.TAG));
                if (c.rung() != null) spec = spec.containTree();
                for (int i = 0; i < 10; i++) JailCost.once(spec, monitor);
                SpawnLoop.Samples out = spawn.get(c);
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) out.latencies.add(JailCost.once(spec, monitor));
                out.rates.add(n / ((System.nanoTime() - start) / 1e9));
            }
            for (Config7 c : block) {
                TreeMechanism m = c.rung();
                if (m == null) continue;
                for (int size : SIZES) {
                    Bench.log("tree: terminateTree round " + (r + 1) + "/" + rounds + ", " + m.id() + ", " + size);
                    List<Long> out = kill.computeIfAbsent(m.id() + "/" + size, k -> new ArrayList<>());
                    terminate(m, size, monitor); // untimed: the first of each kind
                    for (int i = 0; i < kills; i++) out.add(terminate(m, size, monitor));
                }
            }
        }
    }

    private static ProcessSpec force(TreeMechanism rung, ProcessSpec spec) {
        if (rung == null) System.clearProperty(TreeMechanism.PROPERTY);
        else System.setProperty(TreeMechanism.PROPERTY, rung.id());
        return spec;
    }

    /**
     * A shell that forks {@code size - 1} background sleeps, says "ready" and execs a sleep itself, then
     * terminateTree with a long grace: SIGTERM ends every member, so the time is the signalling
     * plus the wait for the tree to empty (and the cgroup's removal), not the grace.
     */
    private static long terminate(TreeMechanism rung, int size, ProcessMonitor monitor) throws Exception {
        String script = "i=1; while [ $i -lt " + size + " ]; do sleep 600 & i=$((i+1)); done; echo ready; exec sleep 600";
        ProcessSpec spec = force(rung, ProcessSpec.of("sh", "-c", script).stdin(Redirect.DISCARD).stdout(Redirect.PIPE)
                .stderr(Redirect.DISCARD).env(Procs.TAG_NAME, Procs.TAG).containTree());
        ChildProcess c;
        try {
            c = spec.spawn(monitor);
        } catch (SpawnException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        try (c) {
            BufferedReader r = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.US_ASCII));
            if (!"ready".equals(r.readLine())) throw new IllegalStateException("tree of " + size + " never got ready: " + c);
            if (c.treeMechanism().orElse(null) != rung) throw new IllegalStateException(c + " is not on " + rung);
            long t0 = System.nanoTime();
            ExitStatus st = c.terminateTree(HUNG).get(HUNG.toSeconds(), TimeUnit.SECONDS);
            long t = System.nanoTime() - t0;
            if (!st.equals(new ExitStatus.Signaled(Signal.TERM, false))) throw new IllegalStateException(c + ": " + st);
            return t;
        }
    }

    private static Report.Section report(int rounds, int n, int kills, List<Config7> configs,
            Map<Config7, SpawnLoop.Samples> spawn, List<TreeMechanism> rungs, Map<String, List<Long>> kill,
            Map<TreeMechanism, String> unavailable) {
        Report.Section s = new Report.Section("tree", "Whole-tree containment");
        s.method.append("Two measurements through the public API, each rung of the ladder forced in turn with `-D")
                .append(TreeMechanism.PROPERTY).append("`. First the cost of a contained spawn: spawn + wait of ")
                .append("`/bin/true` without and with `.containTree()` (which starts the child as the jail's parked stub, ")
                .append("puts it in the tree, then lets it exec; its exit is reported after the tree's teardown). ")
                .append(String.format("%d rounds of %d timed iterations per configuration (after 10 untimed), the plain and ", rounds, n))
                .append("cgroup configurations interleaved, the subreaper rung after them (it makes the JVM a subreaper for good). ")
                .append("Then the time from `terminateTree(grace)` to the completion of its future (the tree is empty): a ")
                .append("`sh` that has forked size - 1 background `sleep 600` and then execs one itself; SIGTERM ends every member, so the ")
                .append("grace (60 s) never runs out and the time is the signal (freeze + signal + thaw on the cgroup rungs, ")
                .append("SIGSTOP + walk + signal + SIGCONT on the subreaper) plus the wait for emptiness and the teardown. ")
                .append(String.format("%d timed kills per size, rung and round (after one untimed). Unit: ms.", kills));
        double plain = spawn.get(configs.getFirst()).stats().median();
        Report.Table t = new Report.Table("Spawn + wait of /bin/true", "configuration", "rate (spawns/s)", "median", "p99",
                "median vs plain");
        for (Config7 c : configs) {
            SpawnLoop.Samples sm = spawn.get(c);
            Stats st = sm.stats();
            t.row(c.label(), Stats.num(sm.rate()), Stats.ms(st.median()), Stats.ms(st.p99()), Stats.ratio(st.median() / plain));
        }
        for (Map.Entry<TreeMechanism, String> e : unavailable.entrySet()) {
            t.row("containTree(), " + e.getKey().id(), "not measured: " + e.getValue().replace("|", "\\|"), "-", "-", "-");
        }
        s.tables.add(t);
        Report.Table k = new Report.Table("terminateTree to tree empty", "rung", "processes", "median", "p99", "max");
        for (TreeMechanism m : rungs) {
            for (int size : SIZES) {
                Stats st = Stats.ofNanos(Bench.toArray(kill.get(m.id() + "/" + size)));
                k.row(m.id(), size, Stats.ms(st.median()), Stats.ms(st.p99()), Stats.ms(st.max()));
            }
        }
        s.tables.add(k);
        s.reading.append(String.format("A plain spawn + wait takes %s ms here. ", Stats.ms(plain)));
        for (Config7 c : configs) {
            if (c.rung() == null) continue;
            double m = spawn.get(c).stats().median();
            s.reading.append(String.format("Contained on %s: %s ms (%s plain). ", c.rung().id(), Stats.ms(m), Stats.ratio(m / plain)));
        }
        s.reading.append("The contained spawn pays for the parked stub (one more exec and a handshake) and for the tree: ")
                .append("a cgroup's mkdir, attach and, after the exit, kill-wait-rmdir; or, on the subreaper rung, pidfds ")
                .append("and walks. Killing a tree costs little more per process on the cgroup rungs (one freeze, one ")
                .append("signal per member, one event for emptiness); the subreaper rung stops, walks and pins each member.");
        s.notes.add(JailCost.leftoverCgroups());
        return s;
    }
}
