package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.ResourceUsage;
import io.procwarden.Signal;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.testing.Blocked;
import io.procwarden.testing.Children;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Interrupts, cancellation, a monitor closed under load, and callbacks that throw: none of them
 * may touch a process, lose an exit, hang a thread or leak a descriptor.
 */
@EnabledOnOs(OS.LINUX)
class InterruptAndCancelTest {
    private static final long LONG = 60;

    private static ProcessSpec quiet(String... commandLine) {
        return ProcessSpec.of(List.of(commandLine)).stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                .stderr(Redirect.DISCARD);
    }

    /** A {@code cat} that lives until we close its stdin, then exits 0: its end is ours to choose. */
    private static ProcessSpec cat() {
        return quiet("cat").stdin(Redirect.PIPE);
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void interruptedWaitersThrowAndTheChildLivesOn(MonitorBackend backend) throws Exception {
        try (ProcessMonitor monitor = ProcessMonitor.create(backend); ChildProcess p = cat().spawn(monitor)) {
            // Waiters of every kind: waitFor(), waitFor(timeout), Process.waitFor(), on platform and
            // virtual threads. Each one that is interrupted must throw InterruptedException, and
            // may then wait again and get the real status.
            List<Thread> waiters = new ArrayList<>();
            List<BlockingQueue<Object>> outcomes = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int kind = i % 3;
                BlockingQueue<Object> seen = new LinkedBlockingQueue<>();
                outcomes.add(seen);
                Runnable body = () -> {
                    for (int attempt = 0; attempt < 3; attempt++) {
                        try {
                            seen.add(switch (kind) {
                                case 0 -> p.waitFor();
                                case 1 -> p.waitFor(Duration.ofHours(1)).orElseThrow();
                                default -> p.asProcess().waitFor();
                            });
                            return;
                        } catch (InterruptedException e) {
                            seen.add(e);
                            seen.add(Thread.currentThread().isInterrupted() ? "still interrupted" : "flag cleared");
                        }
                    }
                };
                String name = "waiter-" + i;
                waiters.add(i < 6 ? Thread.ofPlatform().name(name).start(body) : Thread.ofVirtual().name(name).start(body));
            }
            // Interrupt the even-numbered waiters twice each, the second time in their second wait.
            // Each interrupt must give exactly one InterruptedException: awaitInWaitFor fails on
            // any outcome that arrives while no interrupt is due.
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < waiters.size(); i += 2) {
                    awaitInWaitFor(waiters.get(i), outcomes.get(i), "before interrupt " + (round + 1));
                    waiters.get(i).interrupt();
                    assertThat(outcomes.get(i).poll(LONG, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
                    assertThat(outcomes.get(i).poll(LONG, TimeUnit.SECONDS)).isEqualTo("flag cleared");
                }
            }
            for (int i = 0; i < waiters.size(); i++) awaitInWaitFor(waiters.get(i), outcomes.get(i), "last wait");

            // The child did not notice: still running, exactly as before.
            assertThat(p.isAlive()).isTrue();
            assertThat(Signals.kill((int) p.pid(), 0)).isTrue();
            assertThat(Children.state((int) p.pid())).isIn('S', 'R');
            assertThat(monitor.watchedCount()).isEqualTo(1);

            // A thread interrupted before it waits fails at once, the same way.
            Thread.currentThread().interrupt();
            assertThatThrownBy(p::waitFor).isInstanceOf(InterruptedException.class);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();

            p.stdin().close(); // cat reads end of file and exits 0: any stray signal would show
            assertThat(p.waitFor(Duration.ofSeconds(LONG))).contains(new ExitStatus.Exited(0));
            for (int i = 0; i < waiters.size(); i++) {
                Object last = outcomes.get(i).poll(LONG, TimeUnit.SECONDS);
                assertThat(last).as("waiter-" + i).isEqualTo(i % 3 == 2 ? (Object) 0 : new ExitStatus.Exited(0));
                assertThat(waiters.get(i).join(Duration.ofSeconds(LONG))).isTrue();
                assertThat(outcomes.get(i)).isEmpty();
            }
            assertThat(Children.state((int) p.pid())).as("reaped").isEqualTo('?');
        }
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void cancelledFuturesNeverTouchTheProcess(MonitorBackend backend) throws Exception {
        try (ProcessMonitor monitor = ProcessMonitor.create(backend); ChildProcess p = cat().spawn(monitor)) {
            List<CompletableFuture<?>> cancelled = List.of(
                    p.onExit(), p.onExit(), p.asProcess().onExit(), monitor.watch(p.pid()),
                    p.onExit().thenApply(ExitStatus::toString), p.onExit().orTimeout(1, TimeUnit.DAYS));
            for (int i = 0; i < cancelled.size(); i++) {
                assertThat(cancelled.get(i).cancel(i % 2 == 0)).isTrue();
            }
            CompletableFuture<ExitStatus> kept = monitor.watch(p.pid());
            assertThat(p.isAlive()).isTrue();
            assertThat(Signals.kill((int) p.pid(), 0)).isTrue();
            assertThat(monitor.watchedCount()).as("a child stays registered until reaped").isEqualTo(1);

            p.stdin().close();
            // Exited(0), not a signal: nothing was sent to it.
            assertThat(kept.get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(0));
            assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(0));
            assertThat(p.onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(0));
            for (CompletableFuture<?> f : cancelled) {
                assertThat(f).isCancelled();
                assertThatThrownBy(f::join).isInstanceOf(CancellationException.class);
            }
            assertThat(Children.state((int) p.pid())).as("reaped").isEqualTo('?');
            assertThat(monitor.watchedCount()).isZero();
        }
    }

    /**
     * Several threads spawn and wait while the monitor is closed. Phase 1: every thread runs
     * complete cycles (spawn cat, close its stdin, wait for Exited(0)). Phase 2, once every
     * thread has acknowledged it: threads only spawn cats (each with a blocked waiter and a
     * second watch) and never end them, until spawning fails because the monitor was closed
     * (at most {@code phaseTwoCap} each before the close);
     * so every child whose exit was not seen is alive and unreaped at the end, which makes the
     * checks exact: handed to the shared monitor, joined there, ended, reaped.
     */
    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void closingTheMonitorWhileSpawnsAndWaitsAreInFlight(MonitorBackend backend) throws Exception {
        ProcessMonitor shared = ProcessMonitor.shared();
        try (ProcessMonitor warm = ProcessMonitor.create(backend); ChildProcess p = cat().spawn(warm)) {
            p.stdin().close();
            p.waitFor();
        }
        long fdsBefore = Children.openFds();
        long monitorThreadsBefore = Children.threadsNamed("procwarden-monitor-");
        int sharedBefore = shared.watchedCount();
        List<Integer> childrenBefore = Children.ofThisJvm().stream().map(s -> s.pid()).toList();

        int threads = 8;
        int phaseOneCycles = 10;
        int phaseTwoCap = 25; // per thread; a thread that gets there waits for the close
        ProcessMonitor monitor = ProcessMonitor.create(backend);
        AtomicBoolean phaseTwo = new AtomicBoolean();
        CountDownLatch phaseOneDone = new CountDownLatch(threads);
        CountDownLatch acknowledged = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch closedNow = new CountDownLatch(1);
        CountDownLatch spawnedInPhaseTwo = new CountDownLatch(threads * 3);
        List<ChildProcess> children = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<ExitStatus>> watches = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Object>> blockedWaits = Collections.synchronizedList(new ArrayList<>());
        Map<String, Throwable> endedWith = new ConcurrentHashMap<>();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            String name = "spawner-" + w;
            Runnable body = () -> {
                try {
                    for (int i = 0; !phaseTwo.get(); i++) {
                        try (ChildProcess c = cat().spawn(monitor)) {
                            c.stdin().close();
                            ExitStatus s = c.waitFor();
                            if (!s.equals(new ExitStatus.Exited(0))) throw new AssertionError(name + ": " + s);
                        }
                        if (i + 1 == phaseOneCycles) phaseOneDone.countDown();
                    }
                    acknowledged.countDown(); // from here on no child of this thread is ended by it
                    go.await();
                    for (int i = 0; ; i++) { // ends when spawn is refused
                        if (i == phaseTwoCap) closedNow.await(); // bounded: the next spawn comes after the close
                        ChildProcess c = cat().spawn(monitor);
                        children.add(c);
                        watches.add(monitor.watch(c.pid()));
                        CompletableFuture<Object> waited = new CompletableFuture<>();
                        blockedWaits.add(waited);
                        Thread.ofVirtual().start(() -> {
                            try {
                                waited.complete(c.waitFor());
                            } catch (Throwable t) {
                                waited.complete(t);
                            }
                        });
                        spawnedInPhaseTwo.countDown();
                    }
                } catch (Throwable t) {
                    endedWith.put(name, t);
                }
            };
            workers.add(w % 2 == 0 ? Thread.ofPlatform().name(name).start(body) : Thread.ofVirtual().name(name).start(body));
        }
        assertThat(phaseOneDone.await(LONG * 5, TimeUnit.SECONDS)).isTrue();
        phaseTwo.set(true);
        assertThat(acknowledged.await(LONG * 5, TimeUnit.SECONDS)).isTrue();
        go.countDown();
        assertThat(spawnedInPhaseTwo.await(LONG * 5, TimeUnit.SECONDS)).isTrue();
        monitor.close(); // while the threads spawn, watch and wait
        closedNow.countDown();

        for (Thread t : workers) assertThat(t.join(Duration.ofSeconds(LONG * 2))).as(t.getName() + " ended").isTrue();
        // Every worker stopped because spawning on a closed monitor is refused, with the
        // documented exception.
        assertThat(endedWith).hasSize(threads);
        endedWith.forEach((name, t) -> assertThat(t).as(name).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed"));
        // Every future completed: blocked waits and watches fail with IllegalStateException.
        CompletableFuture.allOf(blockedWaits.toArray(CompletableFuture[]::new)).get(LONG, TimeUnit.SECONDS);
        for (CompletableFuture<Object> f : blockedWaits) {
            assertThat(f.get()).isInstanceOf(IllegalStateException.class);
        }
        for (CompletableFuture<ExitStatus> f : watches) {
            assertThat(f).isDone();
            assertThatThrownBy(f::join).hasCauseInstanceOf(IllegalStateException.class);
        }
        // The children still run (nobody ended them) and are held by the shared monitor: join
        // its registrations (they are unreaped, so their pids are still theirs), then end them.
        List<CompletableFuture<ExitStatus>> ends = new ArrayList<>();
        for (ChildProcess c : children) {
            assertThat(c.isAlive()).isFalse(); // its future is done (failed): no longer ours
            assertThat(Signals.kill((int) c.pid(), 0)).as("still running").isTrue();
            ends.add(shared.watch(c.pid()));
            c.close(); // our end of its stdin: cat exits 0
        }
        for (CompletableFuture<ExitStatus> f : ends) {
            assertThat(f.get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(0));
        }
        System.out.println(backend.id() + ": " + children.size() + " children in flight at close, "
                + threads * phaseOneCycles + "+ complete cycles before");
        assertThat(shared.watchedCount()).isEqualTo(sharedBefore);
        assertThat(Children.threadsNamed("procwarden-monitor-")).isEqualTo(monitorThreadsBefore);
        assertThat(Children.openFds()).isEqualTo(fdsBefore);
        assertThat(Children.ofThisJvm().stream().map(s -> s.pid()).toList()).isSubsetOf(childrenBefore);
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void closingTheMonitorFromItsOwnCallback(MonitorBackend backend) throws Exception {
        long monitorThreadsBefore = Children.threadsNamed("procwarden-monitor-");
        ProcessMonitor monitor = ProcessMonitor.create(backend);
        ChildProcess p = quiet("true").spawn(monitor);
        Thread loopThread = Access.thread(Access.loop(monitor));
        CompletableFuture<Void> closed = p.onExit().thenRun(monitor::close); // runs on the monitor thread
        closed.get(LONG, TimeUnit.SECONDS);
        assertThat(loopThread.join(Duration.ofSeconds(LONG))).as("the loop stopped").isTrue();
        assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(0));
        assertThatThrownBy(() -> quiet("true").spawn(monitor)).isInstanceOf(IllegalStateException.class);
        monitor.close();
        assertThat(Children.threadsNamed("procwarden-monitor-")).isEqualTo(monitorThreadsBefore);
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void throwingCallbacksOnSpawnedChildrenAreIsolated(MonitorBackend backend) throws Exception {
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            List<ChildProcess> children = new ArrayList<>();
            List<CompletableFuture<?>> dependents = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ChildProcess p = quiet("sh", "-c", "exit 3").spawn(monitor);
                children.add(p);
                dependents.add(p.onExit().thenRun(() -> {
                    throw new IllegalStateException("callback failure (expected by the test)");
                }));
                dependents.add(p.onExit().thenAccept(s -> {
                    throw new AssertionError("an Error from a callback (expected by the test)");
                }));
                dependents.add(p.asProcess().onExit().thenRun(() -> {
                    throw new IllegalStateException("callback on the Process view (expected by the test)");
                }));
                dependents.add(p.onExit().whenComplete((s, e) -> {
                    throw new IllegalStateException("whenComplete (expected by the test)");
                }));
            }
            for (CompletableFuture<?> d : dependents) {
                assertThatThrownBy(() -> d.get(LONG, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            }
            for (ChildProcess p : children) {
                assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(3));
                p.close();
            }
            assertThat(Access.thread(Access.loop(monitor)).isAlive()).isTrue();
            try (ChildProcess p = quiet("sh", "-c", "exit 4").spawn(monitor)) {
                assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(4));
            }
        }
    }

    /**
     * A listener of the loop itself that throws (a RuntimeException, then an Error) is logged
     * through System.Logger and does not keep the other listeners of the same process from
     * being told, nor stop the loop.
     */
    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void aThrowingLoopListenerIsLoggedAndIsolated(MonitorBackend backend) throws Exception {
        Logger jul = Logger.getLogger(MonitorLoop.class.getName()); // System.Logger's default backend
        List<LogRecord> records = Collections.synchronizedList(new ArrayList<>());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jul.addHandler(capture);
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            MonitorLoop loop = Access.loop(monitor);
            int pid = Children.sh("exec sleep 600");
            CompletableFuture<ExitStatus> before = new CompletableFuture<>();
            CompletableFuture<ExitStatus> after = new CompletableFuture<>();
            loop.adoptChild(pid, listener(before, null)); // ours: the watches below join it
            loop.watch(pid, -1, listener(null, new IllegalStateException("listener failure (expected by the test)")));
            loop.watch(pid, -1, listener(null, new AssertionError("listener Error (expected by the test)")));
            loop.watch(pid, -1, listener(after, null));
            Children.kill(pid, Signal.KILL.number());
            assertThat(before.get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
            assertThat(after.get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
            assertThat(Access.thread(loop).isAlive()).isTrue();
            assertThat(monitor.adoptChild(Children.sh("exit 6")).get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(6));
            List<String> logged = records.stream()
                    .filter(r -> r.getLevel() == Level.WARNING && r.getMessage().contains("pid " + pid))
                    .map(r -> r.getMessage() + " / " + r.getThrown().getMessage()).collect(Collectors.toList());
            assertThat(logged).hasSize(2).anySatisfy(s -> assertThat(s).contains("listener failure"))
                    .anySatisfy(s -> assertThat(s).contains("listener Error"));
        } finally {
            jul.removeHandler(capture);
        }
    }

    private static ExitListener listener(CompletableFuture<ExitStatus> into, Throwable toThrow) {
        return new ExitListener() {
            @Override
            public void onExit(ExitStatus status, ResourceUsage usage) {
                if (toThrow instanceof RuntimeException e) throw e;
                if (toThrow instanceof Error e) throw e;
                into.complete(status);
            }

            @Override
            public void onFailure(Throwable error) {
                if (into != null) into.completeExceptionally(error);
            }
        };
    }

    /** Returns once {@code t} is blocked in {@code ChildProcess.waitFor()}; fails on any outcome meanwhile. */
    private static void awaitInWaitFor(Thread t, BlockingQueue<Object> outcomes, String when) {
        Blocked.await(t, outcomes, "ChildProcess.waitFor (" + when + ")", Blocked::inWaitFor);
    }
}
