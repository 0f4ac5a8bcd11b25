package io.procwarden.bench;

import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import io.procwarden.Signal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Exit notice for our own child after kill -9: procwarden (posix_spawn, pidfd, registered with
 * the monitor, which reaps it and completes a future) against {@code Process.onExit()} of a
 * {@code ProcessBuilder("sleep", "600")} child. Same kill(2) for both, same completion stamp.
 */
final class ChildExit {
    private ChildExit() {}

    static long procwarden(Procs.Child c) throws Exception {
        Procs.Timed<ExitStatus> t = Procs.killAndTime(c.exit(), c.pid());
        if (!(t.value() instanceof ExitStatus.Signaled s && s.signal().equals(Signal.KILL))) {
            throw new IllegalStateException("procwarden reported " + t.value() + " for child " + c.pid() + " after SIGKILL");
        }
        return t.nanos();
    }

    static long nuProcess(NuProcessPeer.Child c) throws Exception {
        Procs.Timed<Integer> t = Procs.killAndTime(c.exit(), c.pid());
        if (t.value() != Signal.KILL.number()) {
            throw new IllegalStateException("NuProcess reported exit code " + t.value() + " for child " + c.pid() + " after SIGKILL");
        }
        return t.nanos();
    }

    static long jdk(Process p, CompletableFuture<Process> exit) throws Exception {
        Procs.Timed<Process> t = Procs.killAndTime(exit, p.pid());
        Process q = t.value();
        if (q.exitValue() != 128 + Signal.KILL.number()) {
            throw new IllegalStateException("JDK reported exit value " + q.exitValue() + " for child " + p.pid() + " after SIGKILL");
        }
        Procs.closeStreams(p);
        return t.nanos();
    }

    /** Samples of each contender. */
    record Samples(List<Long> procwarden, List<Long> jdk, List<Long> nuProcess, List<Long> c) {
        static Samples create() {
            return new Samples(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
    }

    /**
     * A round: {@code n} children of each kind are started first (so that each has long finished
     * exec and sits in its sleep when killed, like a real process), then killed one at a time,
     * procwarden, JDK and NuProcess in turn.
     */
    private static void round(ProcessMonitor monitor, int n, Path c, Samples out) throws Exception {
        if (c != null) {
            for (String line : CTools.run(c, Procs.SLEEP, Integer.toString(n))) out.c().add(Long.parseLong(line));
        }
        List<Procs.Child> pw = new ArrayList<>(n);
        List<Process> jd = new ArrayList<>(n);
        List<CompletableFuture<Process>> jdExit = new ArrayList<>(n);
        List<NuProcessPeer.Child> nu = new ArrayList<>(n);
        int i = 0;
        try {
            for (int k = 0; k < n; k++) {
                pw.add(Procs.sleeper(monitor));
                Process p = Procs.jdk("sleep", "600").start();
                jd.add(p);
                jdExit.add(p.onExit());
                nu.add(NuProcessPeer.start(List.of(Procs.SLEEP, "600"), Procs.TAG_NAME, Procs.TAG));
            }
            for (; i < n; i++) {
                out.procwarden().add(procwarden(pw.get(i)));
                out.jdk().add(jdk(jd.get(i), jdExit.get(i)));
                out.nuProcess().add(nuProcess(nu.get(i)));
            }
        } finally {
            for (int k = i; k < n; k++) {
                if (k < pw.size() && !pw.get(k).exit().isDone()) Procs.kill9(pw.get(k).pid());
                if (k < jd.size() && jd.get(k).isAlive()) Procs.kill9(jd.get(k).pid());
                if (k < nu.size() && !nu.get(k).exit().isDone()) Procs.kill9(nu.get(k).pid());
            }
            for (Procs.Child k : pw) k.exit().get(60, TimeUnit.SECONDS);
            for (Process p : jd) {
                p.onExit().get(60, TimeUnit.SECONDS);
                Procs.closeStreams(p);
            }
            for (NuProcessPeer.Child k : nu) k.exit().get(60, TimeUnit.SECONDS);
        }
    }

    static Report.Section run(Config cfg, ProcessMonitor monitor) throws Exception {
        int batch = 20;
        int rounds = cfg.pick(15, 2);
        int samples = batch * rounds;
        Path c = CTools.binary(cfg, "exitnotice");
        // procwarden's path here (the monitor thread reaps; nobody is in waitFor) runs only in this
        // comparison: warm it up long enough for C2, then all contenders once.
        int warm = cfg.pick(2000, 50);
        for (int i = 0; i < warm; i++) {
            if (i % 500 == 0) Bench.log("child exit: warm-up " + i + "/" + warm);
            Procs.Child k = Procs.sleeper(monitor);
            procwarden(k);
        }
        round(monitor, cfg.pick(40, 10), c, Samples.create());
        Samples all = Samples.create();
        for (int r = 0; r < rounds; r++) round(monitor, batch, c, all);
        Bench.log("child exit: done");
        Stats p = Stats.ofNanos(Bench.toArray(all.procwarden()));
        Stats j = Stats.ofNanos(Bench.toArray(all.jdk()));
        Stats nu = Stats.ofNanos(Bench.toArray(all.nuProcess()));
        Stats cs = c == null ? null : Stats.ofNanos(Bench.toArray(all.c()));

        Report.Section s = new Report.Section("child", "Exit notice for a child after kill -9");
        s.method.append(String.format("After %,d untimed spawn, kill and exit notices by procwarden (its monitor thread's path "
                        + "runs nowhere else, and C2 must have compiled it), `sleep 600` children are started and watched in "
                        + "batches of ", warm)).append(batch)
                .append(" per contender (so each has finished exec and sits in its sleep, as a real process would), then ")
                .append("killed one at a time with kill(2) SIGKILL, alternating contenders; latency runs from just ")
                .append("before kill(2) to the moment the exit future completes (a `whenComplete` stamp registered before ")
                .append("the kill). procwarden: `ProcessSpec.of(sleep, \"600\").spawn(monitor).onExit()` (the monitor thread ")
                .append("reaps the child and completes the future). JDK: `ProcessBuilder(\"sleep\", \"600\").start().onExit()`. ")
                .append("NuProcess ").append(NuProcessPeer.VERSION).append(": `NuProcessBuilder(sleep, \"600\").start()` with a ")
                .append("handler whose `onExit` completes a future. ").append(samples).append(" samples each. ")
                .append("C floor (`bench/src/main/c/exitnotice.c`, one batch per round): the same batch of sleeps, each ")
                .append("killed while the same thread blocks in poll() on its pidfd: the kernel's share (signal, exit, ")
                .append("wake-up) with no thread hand-off and no JVM. Unit: ms.");
        Report.Table t = new Report.Table(null, "contender", "samples", "median", "p99", "max", "median vs JDK")
                .row("procwarden (pidfd + epoll, waitid(P_PIDFD))", p.n(), Stats.ms(p.median()), Stats.ms(p.p99()),
                        Stats.ms(p.max()), Stats.speed(p.median(), j.median()))
                .row("JDK `Process.onExit()`", j.n(), Stats.ms(j.median()), Stats.ms(j.p99()), Stats.ms(j.max()), "1x")
                .row("NuProcess " + NuProcessPeer.VERSION + " `onExit(int)`", nu.n(), Stats.ms(nu.median()), Stats.ms(nu.p99()),
                        Stats.ms(nu.max()), Stats.speed(nu.median(), j.median()));
        if (cs != null) {
            t.row("C floor: kill, poll(pidfd) in the same thread", cs.n(), Stats.ms(cs.median()), Stats.ms(cs.p99()),
                    Stats.ms(cs.max()), Stats.speed(cs.median(), j.median()));
        } else {
            s.notes.add(CTools.whyNot("exitnotice"));
        }
        s.tables.add(t);
        String chart = "bench-child-exit.svg";
        // Medians only: on this machine the p99 is scheduling noise ten times the median and would hide them.
        Svg.bars(cfg.out().resolve(chart), "Exit notice for a child after kill -9: median (ms)", "milliseconds",
                List.of(new Svg.Bar("procwarden", p.median(), Double.NaN, Svg.PROCWARDEN,
                                Stats.ms(p.median()) + " ms (p99 " + Stats.ms(p.p99()) + ")"),
                        new Svg.Bar("JDK Process.onExit()", j.median(), Double.NaN, Svg.JDK,
                                Stats.ms(j.median()) + " ms (p99 " + Stats.ms(j.p99()) + ")"),
                        new Svg.Bar("NuProcess onExit", nu.median(), Double.NaN, Svg.NUPROCESS,
                                Stats.ms(nu.median()) + " ms (p99 " + Stats.ms(nu.p99()) + ")"),
                        cs == null ? new Svg.Bar("C floor: not run", 0, Double.NaN, Svg.LIMIT, "no gcc")
                                : new Svg.Bar("C floor (one thread)", cs.median(), Double.NaN, Svg.LIMIT,
                                        Stats.ms(cs.median()) + " ms (p99 " + Stats.ms(cs.p99()) + ")")), false);
        s.charts.add(chart);
        s.verdict("procwarden no slower than the JDK (median)", Stats.ms(p.median()) + " ms vs " + Stats.ms(j.median())
                + " ms", p.median() <= j.median());
        s.reading.append(String.format("procwarden's median is %s ms against the JDK's %s ms (%s)",
                        Stats.ms(p.median()), Stats.ms(j.median()), Stats.speed(p.median(), j.median())))
                .append(cs == null ? ". " : String.format(", with a C floor of %s ms. ", Stats.ms(cs.median())))
                .append("All three are woken by the kernel, not by a timer: the JDK's per-process reaper thread returns ")
                .append("from a blocking waitpid, procwarden's one loop thread from epoll_wait on the pidfd and then reaps ")
                .append("with waitid(P_PIDFD). Most of the time is the kernel's and the scheduler's (the floor): the killed ")
                .append("process must be scheduled to exit, then a waiter woken. After that the JDK completes ")
                .append("`Process.onExit()` through `handleAsync`, one more hop through the common ForkJoinPool, while ")
                .append("procwarden completes the future on the loop thread. ")
                .append(Math.abs(p.median() / j.median() - 1) <= 0.15
                        ? "The two medians are within 15% of each other, which on this machine is within run-to-run noise; "
                        : String.format("The medians differ by %s; ", Stats.speed(p.median(), j.median())))
                .append("the p99 and max mostly measure the machine's scheduling noise. ")
                .append(String.format("NuProcess takes %s ms at the median: it notices the exit when the child's pipes ",
                        Stats.ms(nu.median())))
                .append("close, calls waitpid(WNOHANG), and a child that is not a zombie yet at that instant waits in its ")
                .append("dead pool for the next epoll_wait timeout (250 ms by default). It also reports a SIGKILL as exit ")
                .append("code 9, which a caller cannot tell from `exit(9)`.");
        return s;
    }
}
