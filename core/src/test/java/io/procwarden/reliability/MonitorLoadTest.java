package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ResourceUsage;
import io.procwarden.Signal;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.testing.Children;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Load on the monitor: many children at once, many waiters at once. Every exit must be reported
 * exactly once (counted by a listener, since a future cannot show a duplicate), none lost.
 */
@Tag("slow")
@EnabledOnOs(OS.LINUX)
class MonitorLoadTest {

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void tenThousandChildrenEachReportedExactlyOnce(MonitorBackend backend) throws Exception {
        int n = 10_000;
        Map<Integer, AtomicInteger> calls = new ConcurrentHashMap<>();
        Map<Integer, ExitStatus> statuses = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(n);
        List<Integer> pids = new ArrayList<>(n);
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            MonitorLoop loop = Access.loop(monitor);
            long threadsBefore = Children.threadsNamed("procwarden-monitor-");
            try {
                for (int i = 0; i < n; i++) {
                    int pid = Children.sh("exec sleep 600");
                    pids.add(pid);
                    calls.put(pid, new AtomicInteger());
                    loop.adoptChild(pid, new ExitListener() {
                        @Override
                        public void onExit(ExitStatus status, ResourceUsage usage) {
                            calls.get(pid).incrementAndGet();
                            statuses.put(pid, status);
                            all.countDown();
                        }

                        @Override
                        public void onFailure(Throwable error) {
                            throw new AssertionError("watch of " + pid + " failed", error);
                        }
                    });
                }
                assertThat(monitor.watchedCount()).isEqualTo(n);
                assertThat(Children.threadsNamed("procwarden-monitor-")).isEqualTo(threadsBefore);
            } finally {
                for (int pid : pids) Children.kill(pid, Signal.KILL.number());
            }
            assertThat(all.await(300, TimeUnit.SECONDS)).as("all %d exits reported", n).isTrue();
            // A duplicate would arrive after the latch; let the loop drain its queue first.
            CountDownLatch synced = new CountDownLatch(1);
            loop.runOnLoop(synced::countDown);
            assertThat(synced.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(calls.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
            assertThat(statuses.values()).containsOnly(new ExitStatus.Signaled(Signal.KILL, false));
            assertThat(monitor.watchedCount()).isZero();
        }
        // Not "every pid is gone": on a busy machine other processes reuse them at once. What must
        // hold is that none of ours is left a zombie.
        assertThat(Children.zombiesOfThisJvm()).as("zombies among our children").doesNotContainAnyElementsOf(pids);
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void platformAndVirtualThreadsWaitingAtOnce(MonitorBackend backend) throws Exception {
        int processes = 50;
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            List<Integer> pids = new ArrayList<>();
            for (int i = 0; i < processes; i++) pids.add(Children.sh("exec sleep 600"));
            for (int pid : pids) monitor.adoptChild(pid); // ours to reap; every waiter below joins one
            CountDownLatch waiting = new CountDownLatch(64 + 10_000);
            List<CompletableFuture<ExitStatus>> results = new ArrayList<>();
            try (ExecutorService platform = Executors.newFixedThreadPool(64);
                    ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 64; i++) {
                    int pid = pids.get(i % 2 == 0 ? 0 : i % processes); // half on the same process
                    results.add(CompletableFuture.supplyAsync(() -> block(monitor, pid, waiting), platform));
                }
                for (int i = 0; i < 10_000; i++) {
                    int pid = pids.get(i % processes);
                    results.add(CompletableFuture.supplyAsync(() -> block(monitor, pid, waiting), virtual));
                }
                assertThat(waiting.await(120, TimeUnit.SECONDS)).as("every waiter registered").isTrue();
                for (int pid : pids) Children.kill(pid, Signal.TERM.number());
                CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
            }
            assertThat(results).allSatisfy(f -> assertThat(f.get()).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false)));
        }
    }

    private static ExitStatus block(ProcessMonitor monitor, int pid, CountDownLatch waiting) {
        CompletableFuture<ExitStatus> f = monitor.watch(pid);
        waiting.countDown();
        try {
            return f.get(300, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
