package io.procwarden.bench;

import io.procwarden.BenchAccess;
import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import io.procwarden.Signal;
import io.procwarden.internal.monitor.MonitorLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exit notice for our own child after kill -9: procwarden (posix_spawn, pidfd, registered with
 * the monitor, which reaps it and completes a future) against {@code Process.onExit()} of a
 * {@code ProcessBuilder("sleep", "600")} child. Same kill(2) for both, same completion stamp.
 */
final class ChildExit {
    private ChildExit() {}

    static long procwarden(MonitorLoop loop) throws Exception {
        Procs.Child c = Procs.sleeper(loop);
        AtomicLong done = new AtomicLong();
        CompletableFuture<ExitStatus> stamped = c.exit().whenComplete((v, e) -> done.set(System.nanoTime()));
        long t0 = System.nanoTime();
        Procs.kill9(c.pid());
        ExitStatus st = stamped.get(30, TimeUnit.SECONDS);
        if (!(st instanceof ExitStatus.Signaled s && s.signal().equals(Signal.KILL))) {
            throw new IllegalStateException("procwarden reported " + st + " for child " + c.pid() + " after SIGKILL");
        }
        return done.get() - t0;
    }

    static long jdk() throws Exception {
        Process p = Procs.jdk("sleep", "600").start();
        AtomicLong done = new AtomicLong();
        CompletableFuture<Process> stamped = p.onExit().whenComplete((v, e) -> done.set(System.nanoTime()));
        long t0 = System.nanoTime();
        Procs.kill9(p.pid());
        Process q = stamped.get(30, TimeUnit.SECONDS);
        if (q.exitValue() != 128 + 9) {
            throw new IllegalStateException("JDK reported exit value " + q.exitValue() + " for child " + p.pid() + " after SIGKILL");
        }
        Procs.closeStreams(p);
        return done.get() - t0;
    }

    static Report.Section run(Config cfg, ProcessMonitor monitor) throws Exception {
        MonitorLoop loop = BenchAccess.loop(monitor);
        int samples = cfg.pick(300, 30);
        Bench.log("child exit: warm-up");
        for (int i = 0; i < cfg.pick(100, 10); i++) {
            procwarden(loop);
            jdk();
        }
        List<Long> pw = new ArrayList<>();
        List<Long> jd = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            pw.add(procwarden(loop));
            jd.add(jdk());
        }
        Bench.log("child exit: done");
        Stats p = Stats.ofNanos(Bench.toArray(pw));
        Stats j = Stats.ofNanos(Bench.toArray(jd));

        Report.Section s = new Report.Section("child", "Exit notice for a child after kill -9");
        s.method.append("A `sleep 600` child is started and watched, then killed with kill(2) SIGKILL; latency runs from just ")
                .append("before kill(2) to the moment the exit future completes (a `whenComplete` stamp registered before ")
                .append("the kill). procwarden: internal `PosixSpawner` + `MonitorLoop.registerChild` (the public spawn API ")
                .append("is not merged yet), the listener completes a `CompletableFuture`. JDK: `ProcessBuilder(\"sleep\", \"600\")")
                .append(".start().onExit()`. ").append(samples).append(" samples each, alternating. Unit: ms.");
        s.tables.add(new Report.Table(null, "contender", "samples", "median", "p99", "max", "median vs JDK")
                .row("procwarden (pidfd + epoll, waitid(P_PIDFD))", p.n(), Stats.ms(p.median()), Stats.ms(p.p99()),
                        Stats.ms(p.max()), Stats.ratio(j.median() / p.median()) + " faster")
                .row("JDK `Process.onExit()`", j.n(), Stats.ms(j.median()), Stats.ms(j.p99()), Stats.ms(j.max()), "1x"));
        String chart = "bench-child-exit.svg";
        Svg.bars(cfg.out().resolve(chart), "Exit notice for a child after kill -9 (ms; whisker: p99)", "milliseconds",
                List.of(new Svg.Bar("procwarden", p.median(), p.p99(), Svg.PROCWARDEN,
                                Stats.ms(p.median()) + " ms (p99 " + Stats.ms(p.p99()) + ")"),
                        new Svg.Bar("JDK Process.onExit()", j.median(), j.p99(), Svg.JDK,
                                Stats.ms(j.median()) + " ms (p99 " + Stats.ms(j.p99()) + ")")), false);
        s.charts.add(chart);
        s.verdict("procwarden no slower than the JDK (median)", Stats.ms(p.median()) + " ms vs " + Stats.ms(j.median())
                + " ms", p.median() <= j.median());
        s.reading.append(String.format("procwarden's median is %s ms against the JDK's %s ms (%s). ",
                        Stats.ms(p.median()), Stats.ms(j.median()),
                        p.median() <= j.median() ? Stats.ratio(j.median() / p.median()) + " faster"
                                : Stats.ratio(p.median() / j.median()) + " slower"))
                .append("Both are woken by the kernel, not by a timer: the JDK's per-process reaper thread returns from ")
                .append("a blocking waitpid, procwarden's one loop thread from epoll_wait on the pidfd, then reaps with ")
                .append("waitid(P_PIDFD). Most of the time is the kernel tearing down the killed process (exit_mmap, ")
                .append("exit_files) and the scheduler on two busy cores; on top of that the JDK completes ")
                .append("`Process.onExit()` through `handleAsync`, one more hop through the common ForkJoinPool, while ")
                .append("procwarden completes the future on the loop thread.");
        return s;
    }
}
