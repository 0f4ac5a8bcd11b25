package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.testing.Children;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every monitor backend must do, against real processes. Subclasses pick the backend.
 * Nothing here sleeps to wait: tests wait on futures and latches, and kill what they start.
 */
abstract class MonitorContract {
    static final Duration LONG = Duration.ofSeconds(30);

    abstract MonitorBackend backend();

    ProcessMonitor monitor;

    @BeforeEach
    void start() {
        monitor = ProcessMonitor.create(backend());
        assertThat(monitor.backend()).isEqualTo(backend());
    }

    @AfterEach
    void stop() {
        monitor.close();
    }

    /** The default bound a monitor waits for a dead non-child's parent to reap it. */
    static final Duration REAP_WAIT = Duration.ofSeconds(1);

    static ExitStatus await(CompletableFuture<ExitStatus> f) throws Exception {
        return f.get(LONG.toSeconds(), TimeUnit.SECONDS);
    }

    /** True where the kernel keeps the status of reaped processes (PIDFD_INFO_EXIT). */
    static boolean exitInfo() {
        return ProcessMonitor.nonChildStatusUnavailabilityCause().isEmpty();
    }

    /** What a non-child's watch gives: the exact status where the kernel keeps it, else NOT_OUR_CHILD. */
    static ExitStatus nonChildStatus(ExitStatus exact) {
        return exitInfo() ? exact : new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD);
    }

    @Test
    void exitCodeOfAChild() throws Exception {
        int pid = Children.sh("exit 7");
        assertThat(await(monitor.adoptChild(pid))).isEqualTo(new ExitStatus.Exited(7));
        assertThat(Children.state(pid)).as("reaped, no zombie").isEqualTo('?');
    }

    @Test
    void delayedExitIsNoticed() throws Exception {
        int pid = Children.sh("sleep 0.2; exit 3");
        CompletableFuture<ExitStatus> f = monitor.adoptChild(pid);
        assertThat(f).isNotDone();
        assertThat(await(f)).isEqualTo(new ExitStatus.Exited(3));
    }

    @Test
    void pidWithNoProcessCompletesAtOnce() throws Exception {
        CompletableFuture<ExitStatus> f = monitor.watch(Children.freePid());
        assertThat(f).isDone();
        assertThat(await(f)).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
    }

    @Test
    void sigkillIsDecodedAsASignal() throws Exception {
        int pid = Children.sh("exec sleep 600");
        CompletableFuture<ExitStatus> f = monitor.adoptChild(pid);
        Children.kill(pid, Signal.KILL.number());
        ExitStatus s = await(f);
        assertThat(s).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(s.shellCode()).isEqualTo(137);
    }

    @Test
    void sigsegvWithoutCoreDump(@TempDir Path dir) throws Exception {
        int pid = Children.sh("ulimit -c 0; kill -SEGV $$", dir);
        assertThat(await(monitor.adoptChild(pid))).isEqualTo(new ExitStatus.Signaled(Signal.SEGV, false));
    }

    @Test
    void sigsegvWithCoreDump(@TempDir Path dir) throws Exception {
        String pattern = new String(io.procwarden.internal.sys.ProcFs.readFile(
                Path.of("/proc/sys/kernel/core_pattern"))).trim();
        assumeThat(pattern).as("core_pattern writes a file (a pipe handler may refuse dumps)").doesNotStartWith("|");
        int pid = Children.sh("ulimit -c unlimited; kill -SEGV $$", dir);
        assertThat(await(monitor.adoptChild(pid))).isEqualTo(new ExitStatus.Signaled(Signal.SEGV, true));
    }

    @Test
    void threeMonitorsOnDifferentPids() throws Exception {
        try (ProcessMonitor m2 = ProcessMonitor.create(backend()); ProcessMonitor m3 = ProcessMonitor.create(backend())) {
            int a = Children.sh("exit 1");
            int b = Children.sh("sleep 0.1; exit 2");
            int c = Children.sh("exec sleep 600");
            CompletableFuture<ExitStatus> fa = monitor.adoptChild(a);
            CompletableFuture<ExitStatus> fb = m2.adoptChild(b);
            CompletableFuture<ExitStatus> fc = m3.adoptChild(c);
            Children.kill(c, Signal.TERM.number());
            assertThat(await(fa)).isEqualTo(new ExitStatus.Exited(1));
            assertThat(await(fb)).isEqualTo(new ExitStatus.Exited(2));
            assertThat(await(fc)).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
        }
    }

    @Test
    void manyWaitersShareOneRegistration() throws Exception {
        int pid = Children.sh("exec sleep 600");
        List<CompletableFuture<ExitStatus>> all = new ArrayList<>();
        all.add(monitor.adoptChild(pid)); // ours: the watches below join it
        for (int i = 1; i < 50; i++) all.add(monitor.watch(pid));
        assertThat(monitor.watchedCount()).isEqualTo(1);
        Children.kill(pid, Signal.KILL.number());
        for (CompletableFuture<ExitStatus> f : all) {
            assertThat(await(f)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        }
        assertThat(all).extracting(f -> f == all.get(0)).containsOnlyOnce(true); // a new future per call
    }

    /**
     * A parent that never reaps: where the status would come at the reap, the watch ends once the
     * bound has passed (NOT_REAPED), never later than that plus a round; elsewhere at the death.
     */
    @Test
    void nonChildWhoseParentNeverReaps() throws Exception {
        try (Children.NonChild p = Children.nonChild(false)) {
            CompletableFuture<ExitStatus> f = monitor.watch(p.pid());
            assertThat(f).isNotDone();
            long killed = System.nanoTime();
            Children.kill(p.pid(), Signal.KILL.number());
            ExitStatus s = await(f);
            Duration took = Duration.ofNanos(System.nanoTime() - killed);
            if (exitInfo()) {
                assertThat(s).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_REAPED));
                assertThat(took).as("waited for the reap up to the bound").isGreaterThanOrEqualTo(REAP_WAIT);
            } else {
                assertThat(s).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD));
            }
            // Its parent never reaps it, and neither did we.
            assertThat(Children.state(p.pid())).isEqualTo('Z');
            // Watching the zombie itself: the same answer.
            assertThat(await(monitor.watch(p.pid()))).isEqualTo(s);
        }
    }

    @Test
    void nonChildReapedByItsParent() throws Exception {
        try (Children.NonChild p = Children.nonChild(true)) {
            CompletableFuture<ExitStatus> f = monitor.watch(p.pid());
            Children.kill(p.pid(), Signal.TERM.number());
            assertThat(await(f)).isEqualTo(nonChildStatus(new ExitStatus.Signaled(Signal.TERM, false)));
        }
    }

    /** A child of this JVM that nobody reaps: its exact status, read without reaping; still the owner's to reap. */
    @Test
    void childOfThisJvmIsObservedNotReaped() throws Exception {
        int pid = Children.sh("exit 4");
        assertThat(await(monitor.watch(pid))).isEqualTo(new ExitStatus.Exited(4));
        assertThat(Children.state(pid)).as("left for its owner").isEqualTo('Z');
        assertThat(Wait.wait4(pid, 0).status()).as("the owner's status").isEqualTo(new ExitStatus.Exited(4));
        // A zombie child of this JVM, watched only once it is one.
        int zombie = Children.sh("kill -USR1 $$");
        assertThat(Wait.waitidPid(zombie, Wait.WNOWAIT).status()).isEqualTo(new ExitStatus.Signaled(Signal.USR1, false));
        assertThat(await(monitor.watch(zombie))).isEqualTo(new ExitStatus.Signaled(Signal.USR1, false));
        assertThat(Wait.wait4(zombie, 0).status()).isEqualTo(new ExitStatus.Signaled(Signal.USR1, false));
    }

    /** ProcessBuilder's children: the JDK reaps them and keeps their exact status; so does procwarden. */
    @Test
    void jdkChildrenStayTheJdks() throws Exception {
        Process exits = new ProcessBuilder("/bin/sh", "-c", "read x; exit 3").start();
        Process killed = new ProcessBuilder("/bin/sh", "-c", "read x").start();
        CompletableFuture<ExitStatus> e = monitor.watch(exits.pid());
        CompletableFuture<ExitStatus> k = monitor.watch(killed.pid());
        exits.getOutputStream().close();
        killed.destroyForcibly();
        assertThat(exits.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(killed.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(exits.exitValue()).isEqualTo(3);
        assertThat(killed.exitValue()).isEqualTo(128 + Signal.KILL.number());
        assertThat(await(e)).isIn(new ExitStatus.Exited(3), nonChildStatus(new ExitStatus.Exited(3)));
        assertThat(await(k)).isIn(new ExitStatus.Signaled(Signal.KILL, false),
                nonChildStatus(new ExitStatus.Signaled(Signal.KILL, false)));
    }

    /** Our child, reaped by us, watched afterwards: its status is remembered, not "no such process". */
    @Test
    void watchAfterWeReapedGivesTheStatus() throws Exception {
        int pid = Children.sh("exit 9");
        assertThat(await(monitor.adoptChild(pid))).isEqualTo(new ExitStatus.Exited(9));
        assertThat(Children.state(pid)).isEqualTo('?');
        assertThat(await(monitor.watch(pid))).isEqualTo(new ExitStatus.Exited(9));
    }

    @Test
    void adoptingWhatIsNotAChildOfThisJvmIsRejected() throws Exception {
        try (Children.NonChild p = Children.nonChild(true)) {
            assertThatThrownBy(() -> monitor.adoptChild(p.pid())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(Integer.toString(p.pid())).hasMessageContaining("not a child of this JVM");
            assertThat(monitor.watchedCount()).isZero();
        }
    }

    @Test
    void childReapedBySomeoneElseIsAlreadyReaped() throws Exception {
        int pid = Children.sh("exec sleep 600");
        CompletableFuture<ExitStatus> f = monitor.adoptChild(pid);
        // Hold the loop still so the stray waitpid below is sure to win the race.
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        monitor.loop().runOnLoop(() -> {
            held.countDown();
            awaitQuietly(release);
        });
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
        Children.kill(pid, Signal.KILL.number());
        Wait.Reaped stray = Wait.wait4(pid, 0); // blocking: returns once the child is dead
        assertThat(stray.status()).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        release.countDown();
        assertThat(await(f)).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.ALREADY_REAPED));
        // The loop survived: it still serves new watches.
        assertThat(await(monitor.adoptChild(Children.sh("exit 5")))).isEqualTo(new ExitStatus.Exited(5));
    }

    @Test
    void adoptionChecksTheStartTime() throws Exception {
        try (Children.NonChild p = Children.nonChild(true)) {
            identityIsChecked(p.pid());
        }
    }

    private void identityIsChecked(int pid) throws Exception {
        ProcessIdentity id = ProcessIdentity.of(pid).orElseThrow();
        ProcessIdentity stranger = new ProcessIdentity(pid, id.startTime() + 1);
        CompletableFuture<ExitStatus> wrong = monitor.watch(stranger);
        assertThat(wrong).isDone();
        assertThat(await(wrong)).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
        CompletableFuture<ExitStatus> right = monitor.watch(ProcessIdentity.parse(id.toPidFileLine()));
        // A second adopter of the same pid with a wrong start time joins nothing.
        assertThat(await(monitor.watch(stranger))).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
        assertThat(right).isNotDone();
        Children.kill(pid, Signal.KILL.number());
        assertThat(await(right)).isEqualTo(nonChildStatus(new ExitStatus.Signaled(Signal.KILL, false)));
    }

    @Test
    void raceBetweenExitAndRegistrationIsReported() throws Exception {
        for (int i = 0; i < 100; i++) {
            int pid = Children.sh("exit " + (i % 7));
            if (i % 2 == 0) {
                assertThat(await(monitor.adoptChild(pid))).isEqualTo(new ExitStatus.Exited(i % 7));
            } else { // observed only: exact, and still ours (the test's) to reap
                assertThat(await(monitor.watch(pid))).isEqualTo(new ExitStatus.Exited(i % 7));
                assertThat(Wait.wait4(pid, 0).status()).isEqualTo(new ExitStatus.Exited(i % 7));
            }
        }
    }

    @Test
    void invalidPidsAreRejectedWithTheValue() {
        assertThatThrownBy(() -> monitor.watch(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
        assertThatThrownBy(() -> monitor.watch(-5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-5");
        long beyond = Children.pidMax() + 1L;
        assertThatThrownBy(() -> monitor.watch(beyond)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Long.toString(beyond));
        int self = Unistd.getpid();
        assertThatThrownBy(() -> monitor.watch(self)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Integer.toString(self));
        assertThatThrownBy(() -> monitor.adoptChild(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }

    /** A thread id is not a process (Linux shows threads under /proc too, and kill(2) accepts them). */
    @Test
    @EnabledOnOs(OS.LINUX)
    void aThreadIdIsRejectedNamingItsProcess() {
        int tid = io.procwarden.internal.ffi.PidfdInfo.gettid(); // a test thread is never the JVM's first thread
        int self = Unistd.getpid();
        assertThat(tid).isNotEqualTo(self);
        assertThatThrownBy(() -> monitor.watch(tid)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pid " + tid + " is a thread of process " + self);
        assertThat(monitor.watchedCount()).isZero();
    }

    @Test
    @EnabledOnOs(OS.LINUX) // identities are /proc start times
    void invalidIdentitiesAreRejectedWithTheValue() {
        assertThatThrownBy(() -> new ProcessIdentity(0, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pid must be positive: 0");
        assertThatThrownBy(() -> new ProcessIdentity(7, -1)).hasMessageContaining("start time must not be negative: -1");
        assertThatThrownBy(() -> ProcessIdentity.of(-3)).hasMessageContaining("not a valid pid: -3");
        assertThatThrownBy(() -> ProcessIdentity.parse("12 x")).hasMessageContaining("\"12 x\"");
        long beyond = Children.pidMax() + 1L;
        assertThatThrownBy(() -> monitor.watch(new ProcessIdentity(beyond, 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Long.toString(beyond));
        int self = Unistd.getpid();
        assertThatThrownBy(() -> monitor.watch(ProcessIdentity.of(self).orElseThrow()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(Integer.toString(self));
        assertThat(monitor.watchedCount()).isZero();
    }

    /**
     * pid 1 (init; not our child, never exits) can be watched like any process. There is no way
     * to signal it through the API: signals go only to children we spawned (ChildProcess).
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void pidOneCanBeWatched() throws Exception {
        long fdsBefore = Children.openFds();
        CompletableFuture<ExitStatus> init = monitor.watch(1);
        CompletableFuture<ExitStatus> initById = monitor.watch(ProcessIdentity.of(1).orElseThrow());
        assertThat(init).isNotDone();
        assertThat(initById).isNotDone();
        assertThat(monitor.watchedCount()).isEqualTo(1);
        init.cancel(false);
        initById.cancel(false);
        syncWithLoop();
        assertThat(monitor.watchedCount()).as("no interest left: unregistered").isZero();
        assertThat(Children.openFds()).isEqualTo(fdsBefore);
    }

    @Test
    void cancellingOneFutureLeavesTheOthers() throws Exception {
        try (Children.NonChild p = Children.nonChild(true)) {
            CompletableFuture<ExitStatus> a = monitor.watch(p.pid());
            CompletableFuture<ExitStatus> b = monitor.watch(p.pid());
            assertThat(a.cancel(false)).isTrue();
            assertThat(monitor.watchedCount()).isEqualTo(1);
            b.cancel(false);
            syncWithLoop();
            assertThat(monitor.watchedCount()).as("no interest left: unregistered").isZero();
            CompletableFuture<ExitStatus> c = monitor.watch(p.pid());
            Children.kill(p.pid(), Signal.KILL.number());
            assertThat(await(c)).isEqualTo(nonChildStatus(new ExitStatus.Signaled(Signal.KILL, false)));
        }
    }

    @Test
    void cancelledChildIsStillReaped() throws Exception {
        int pid = Children.sh("exec sleep 600");
        monitor.adoptChild(pid).cancel(false);
        assertThat(monitor.watchedCount()).as("a child stays registered to be reaped").isEqualTo(1);
        CompletableFuture<ExitStatus> again = monitor.watch(pid);
        Children.kill(pid, Signal.KILL.number());
        assertThat(await(again)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(Children.state(pid)).isEqualTo('?');
    }

    @Test
    void aThrowingCallbackDoesNotStopTheLoop() throws Exception {
        int pid = Children.sh("exit 1");
        CompletableFuture<Void> dependent = monitor.adoptChild(pid).thenRun(() -> {
            throw new IllegalStateException("callback failure (expected by the test)");
        });
        assertThatThrownBy(() -> dependent.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(await(monitor.adoptChild(Children.sh("exit 2")))).isEqualTo(new ExitStatus.Exited(2));
        syncWithLoop(); // the loop still runs commands
    }

    @Test
    void closeFailsPendingWatchesAndReleasesEverything() throws Exception {
        long fdsBefore = Children.openFds();
        String prefix = "procwarden-monitor-";
        long threadsBefore = Children.threadsNamed(prefix);
        ProcessMonitor m = ProcessMonitor.create(backend());
        assertThat(Children.threadsNamed(prefix)).isEqualTo(threadsBefore + 1);
        List<Children.NonChild> procs = new ArrayList<>();
        List<CompletableFuture<ExitStatus>> pending = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                Children.NonChild p = Children.nonChild(true);
                procs.add(p);
                pending.add(m.watch(p.pid()));
            }
            m.close();
            for (CompletableFuture<ExitStatus> f : pending) {
                assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("closed");
            }
            assertThatThrownBy(() -> m.watch(procs.get(0).pid())).isInstanceOf(IllegalStateException.class);
            m.close(); // idempotent
        } finally {
            for (Children.NonChild p : procs) p.close();
        }
        assertThat(Children.threadsNamed(prefix)).isEqualTo(threadsBefore);
        assertThat(Children.openFds()).isEqualTo(fdsBefore);
    }

    @Test
    void closeHandsRunningChildrenToTheSharedMonitor() throws Exception {
        int pid = Children.sh("exec sleep 600");
        ProcessMonitor m = ProcessMonitor.create(backend());
        CompletableFuture<ExitStatus> f = m.adoptChild(pid);
        m.close();
        assertThat(f).isCompletedExceptionally();
        // The shared monitor now holds the child: a watch there joins it and gets the exact status.
        CompletableFuture<ExitStatus> shared = ProcessMonitor.shared().watch(pid);
        Children.kill(pid, Signal.KILL.number());
        assertThat(await(shared)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(Children.state(pid)).as("reaped: no zombie left by the closed monitor").isEqualTo('?');
    }

    @Test
    void oneThreadServesManyProcesses() throws Exception {
        long threadsBefore = Thread.activeCount();
        List<Integer> pids = new ArrayList<>();
        List<CompletableFuture<ExitStatus>> fs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int pid = Children.sh("exec sleep 600");
            pids.add(pid);
            fs.add(monitor.adoptChild(pid));
        }
        assertThat(monitor.watchedCount()).isEqualTo(200);
        assertThat(Thread.activeCount()).isLessThanOrEqualTo((int) threadsBefore);
        AtomicInteger done = new AtomicInteger();
        List<CompletableFuture<Void>> counted = fs.stream().map(f -> f.thenRun(done::incrementAndGet)).toList();
        for (int pid : pids) Children.kill(pid, Signal.KILL.number());
        CompletableFuture.allOf(counted.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertThat(done.get()).isEqualTo(200);
        for (CompletableFuture<ExitStatus> f : fs) assertThat(f.get()).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
    }

    /** Returns once every command queued on the loop before now has run. */
    void syncWithLoop() throws InterruptedException {
        CountDownLatch l = new CountDownLatch(1);
        monitor.loop().runOnLoop(l::countDown);
        assertThat(l.await(30, TimeUnit.SECONDS)).isTrue();
    }

    private static void awaitQuietly(CountDownLatch l) {
        try {
            l.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
