package io.procwarden.bench;

import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exit notice for a process that is NOT our child, after kill -9: procwarden's
 * {@code watch(pid)} against the JDK's {@code ProcessHandle.of(pid).get().onExit()}.
 *
 * <p>The non-child is a {@code sleep 600} started by {@code sh -c 'sleep 600 & echo $!; wait'}
 * (a JDK child that prints the pid and reaps the sleep). Per sample: watch, register a
 * completion stamp, take the time, kill(2), wait; latency = stamp - time before kill. The stamp
 * runs on whatever thread completes the future, at the moment it completes.
 */
final class NonChildExit {
    private NonChildExit() {}

    /** A {@code sleep 600} and the shell that is its parent. */
    record NonChild(int pid, Process parent) {
        static NonChild start() throws IOException {
            Process parent = Procs.jdk("/bin/sh", "-c", "sleep 600 & echo $!; wait").redirectErrorStream(true).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII));
            String line = r.readLine();
            if (line == null) {
                parent.destroyForcibly();
                throw new IOException("sh printed no pid (exit " + parent.onExit().join().exitValue() + ")");
            }
            return new NonChild(Integer.parseInt(line.trim()), parent);
        }

        /** Waits until the shell has reaped the sleep and exited (it exits once the sleep is dead). */
        void awaitParent() throws Exception {
            if (!parent.waitFor(30, TimeUnit.SECONDS)) {
                parent.destroyForcibly();
                throw new IllegalStateException("sh " + parent.pid() + " did not exit after its sleep was killed");
            }
            Procs.closeStreams(parent);
        }
    }

    /** One sample: nanoseconds from just before kill(2) to the future's completion. */
    static long sample(ProcessMonitor monitor) throws Exception {
        NonChild nc = NonChild.start();
        CompletableFuture<?> exit;
        if (monitor != null) {
            exit = monitor.watch(nc.pid());
        } else {
            Optional<ProcessHandle> h = ProcessHandle.of(nc.pid());
            if (h.isEmpty()) throw new IllegalStateException("ProcessHandle.of(" + nc.pid() + ") is empty");
            exit = h.get().onExit();
        }
        AtomicLong done = new AtomicLong();
        CompletableFuture<?> stamped = exit.whenComplete((v, e) -> done.set(System.nanoTime()));
        long t0 = System.nanoTime();
        Procs.kill9(nc.pid());
        Object v = stamped.get(30, TimeUnit.SECONDS);
        if (monitor != null && !(v instanceof ExitStatus.Unknown u && u.reason() == ExitStatus.UnknownReason.NOT_OUR_CHILD)) {
            throw new IllegalStateException("procwarden reported " + v + " for non-child " + nc.pid());
        }
        nc.awaitParent();
        return done.get() - t0;
    }

    static Report.Section run(Config cfg, ProcessMonitor monitor) throws Exception {
        int rounds = cfg.pick(20, 3);
        int pwPerRound = 10;
        Bench.log("non-child exit: warm-up");
        for (int i = 0; i < cfg.pick(50, 10); i++) sample(monitor);
        sample(null);
        List<Long> pw = new ArrayList<>();
        List<Long> jdk = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < pwPerRound; i++) pw.add(sample(monitor));
            jdk.add(sample(null));
            Bench.log("non-child exit: round " + (r + 1) + "/" + rounds);
        }
        Stats p = Stats.ofNanos(Bench.toArray(pw));
        Stats j = Stats.ofNanos(Bench.toArray(jdk));

        Report.Section s = new Report.Section("nonchild", "Exit notice for a non-child after kill -9");
        s.method.append("A `sleep 600` whose parent is a JDK-started `sh -c 'sleep 600 & echo $!; wait'` is watched, then killed ")
                .append("with kill(2) SIGKILL; latency runs from just before kill(2) to the moment the future completes ")
                .append("(a `whenComplete` stamp registered before the kill). ")
                .append(String.format("%d rounds of %d procwarden samples and 1 JDK sample, interleaved; ", rounds, pwPerRound))
                .append("the JDK takes ~300 ms per sample, hence fewer samples. Unit: ms.");
        s.tables.add(new Report.Table(null, "contender", "samples", "median", "p99", "max", "median vs JDK")
                .row("procwarden `ProcessMonitor.watch(pid)` (pidfd + epoll)", p.n(), Stats.ms(p.median()), Stats.ms(p.p99()),
                        Stats.ms(p.max()), Stats.ratio(j.median() / p.median()) + " faster")
                .row("JDK `ProcessHandle.of(pid).get().onExit()`", j.n(), Stats.ms(j.median()), Stats.ms(j.p99()),
                        Stats.ms(j.max()), "1x"));
        String chart = "bench-nonchild-exit.svg";
        Svg.bars(cfg.out().resolve(chart), "Exit notice for a non-child after kill -9 (ms, log scale; whisker: p99)", "milliseconds",
                List.of(new Svg.Bar("procwarden watch(pid)", p.median(), p.p99(), Svg.PROCWARDEN,
                                Stats.ms(p.median()) + " ms (p99 " + Stats.ms(p.p99()) + ")"),
                        new Svg.Bar("JDK ProcessHandle.onExit()", j.median(), j.p99(), Svg.JDK,
                                Stats.ms(j.median()) + " ms (p99 " + Stats.ms(j.p99()) + ")")), true);
        s.charts.add(chart);
        s.verdict("procwarden median < 1 ms", Stats.ms(p.median()) + " ms", p.median() < 1.0);
        s.reading.append(String.format(
                "procwarden learns of the death %s sooner than the JDK (median %s ms vs %s ms). ",
                Stats.ratio(j.median() / p.median()), Stats.ms(p.median()), Stats.ms(j.median())))
                .append("A pidfd becomes readable the moment the process turns into a zombie, child or not, so the ")
                .append("monitor thread wakes from epoll_wait at once. The JDK cannot wait for a process it did not ")
                .append("start: its reaper thread gets ECHILD and falls back to sleeping 300 ms, then 330, 360, ... ")
                .append("(capped at 5 s) between liveness checks. Here every process dies right after the watch begins, ")
                .append("so the JDK's figure is its first sleep; a process that dies after minutes of watching is ")
                .append("noticed up to 5 s late. Neither can know how a non-child ended; procwarden says so ")
                .append("('status unknown: not our child').");
        return s;
    }
}
