package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.sys.ProcStat;
import io.procwarden.testing.Children;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spawning and handling children on one monitor backend (subclasses pick it). Real processes;
 * nothing sleeps to wait for an event: tests wait on futures, pipes and latches with generous
 * timeouts, and kill every child that would otherwise live on.
 */
abstract class SpawnContract {
    static final Duration LONG = Duration.ofSeconds(30);

    abstract MonitorBackend backend();

    ProcessMonitor monitor;

    @BeforeEach
    void start() {
        monitor = ProcessMonitor.create(backend());
    }

    @AfterEach
    void stop() {
        monitor.close();
    }

    /** A spec whose stdio never touches surefire's own streams. */
    static ProcessSpec sh(String script) {
        return ProcessSpec.of("sh", "-c", script).stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                .stderr(Redirect.DISCARD);
    }

    ChildProcess spawn(ProcessSpec spec) throws SpawnException {
        return spec.spawn(monitor);
    }

    static ExitStatus await(CompletableFuture<ExitStatus> f) throws Exception {
        return f.get(LONG.toSeconds(), TimeUnit.SECONDS);
    }

    static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void exitCodeAndUsage() throws Exception {
        try (ChildProcess p = spawn(sh("exit 7"))) {
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(7));
            assertThat(p.isAlive()).isFalse();
            assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(7));
            assertThat(p.resourceUsage()).isPresent();
            assertThat(p.oomKills()).as("no memory accounting without a jail").isEmpty();
            assertThat(p.handleMode()).as("pidfd where the kernel (or a seccomp filter) allows it")
                    .isEqualTo(MonitorBackend.PIDFD.isAvailable());
            assertThat(Children.state((int) p.pid())).as("reaped, no zombie").isEqualTo('?');
        }
    }

    @Test
    void resourceUsageOfACpuBurner() throws Exception {
        try (ChildProcess p = spawn(ProcessSpec.of("dd", "if=/dev/zero", "of=/dev/null", "bs=1M", "count=2000")
                .stdin(Redirect.DISCARD).stdout(Redirect.DISCARD).stderr(Redirect.DISCARD))) {
            assertThat(p.resourceUsage()).as("nothing while it runs").isEmpty();
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(0));
            ResourceUsage u = p.resourceUsage().orElseThrow();
            assertThat(u.totalCpu()).isGreaterThan(Duration.ZERO);
            assertThat(u.peakRssBytes()).as("1 MiB buffer plus dd itself").isGreaterThan(1024 * 1024);
        }
    }

    @Test
    void oneMiBOnStdoutAndStderrAtOnce() throws Exception {
        int size = 1024 * 1024;
        String script = "head -c " + size + " /dev/zero & head -c " + size + " /dev/zero >&2; wait";
        try (ChildProcess p = spawn(sh(script).stdout(Redirect.PIPE).stderr(Redirect.PIPE))) {
            CompletableFuture<Long> out = countInThread(p.stdout(), "stdout-reader");
            CompletableFuture<Long> err = countInThread(p.stderr(), "stderr-reader");
            assertThat(out.get(30, TimeUnit.SECONDS)).isEqualTo(size);
            assertThat(err.get(30, TimeUnit.SECONDS)).isEqualTo(size);
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(0));
        }
    }

    private static CompletableFuture<Long> countInThread(InputStream in, String name) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(in.transferTo(java.io.OutputStream.nullOutputStream()));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, name);
        t.start();
        return f;
    }

    @Test
    void stdinToCatRoundTrip() throws Exception {
        byte[] data = new byte[300_000];
        new Random(42).nextBytes(data);
        try (ChildProcess p = spawn(ProcessSpec.of("cat").stdin(Redirect.PIPE).stdout(Redirect.PIPE)
                .stderr(Redirect.DISCARD))) {
            Thread writer = new Thread(() -> {
                try (var in = p.stdin()) {
                    in.write(data);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "stdin-writer");
            writer.start();
            assertThat(p.stdout().readAllBytes()).isEqualTo(data);
            writer.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(0));
        }
    }

    @Test
    void stderrMergedIntoStdout() throws Exception {
        try (ChildProcess p = spawn(sh("echo out; echo err >&2").stdout(Redirect.PIPE).stderr(Redirect.TO_STDOUT))) {
            assertThat(readAll(p.stdout())).isEqualTo("out\nerr\n");
            assertThatThrownBy(p::stderr).isInstanceOf(IllegalStateException.class).hasMessageContaining("TO_STDOUT");
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(0));
        }
    }

    @Test
    void fileRedirects(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("in.txt"), "from a file\n");
        Path out = Files.writeString(dir.resolve("out.txt"), "old content that must go\n");
        Path log = Files.writeString(dir.resolve("log.txt"), "first\n");
        try (ChildProcess p = spawn(sh("cat; echo second >&2").stdin(Redirect.from(in)).stdout(Redirect.to(out))
                .stderr(Redirect.appendTo(log)))) {
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(0));
        }
        assertThat(Files.readString(out)).isEqualTo("from a file\n");
        assertThat(Files.readString(log)).isEqualTo("first\nsecond\n");
    }

    @Test
    void preservedFdIsReadableAtThree() throws Exception {
        Fd[] pipe = Unistd.pipe();
        try {
            byte[] hello = "hello through fd 3".getBytes(StandardCharsets.US_ASCII);
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                var buf = arena.allocate(hello.length);
                buf.copyFrom(java.lang.foreign.MemorySegment.ofArray(hello));
                assertThat(Unistd.write(pipe[1], buf, hello.length)).isEqualTo(hello.length);
            }
            pipe[1].close(); // the child reads to end of file
            try (ChildProcess p = spawn(sh("cat <&3").preserveFd(pipe[0].number(), 3).stdout(Redirect.PIPE))) {
                assertThat(readAll(p.stdout())).isEqualTo("hello through fd 3");
                assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(0));
            }
        } finally {
            pipe[0].close();
            pipe[1].close();
        }
    }

    @Test
    void signalMaskEmptyAndDispositionsDefault() throws Exception {
        try (ChildProcess p = spawn(ProcessSpec.of("grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status")
                .stdin(Redirect.DISCARD).stdout(Redirect.PIPE).stderr(Redirect.DISCARD))) {
            String out = readAll(p.stdout());
            assertThat(out.lines().toList()).containsExactly("SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000");
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(0));
        }
    }

    private ProcStat childStat(ProcessSpec spec) throws Exception {
        try (ChildProcess p = spawn(spec.stdout(Redirect.PIPE))) {
            ProcStat s = ProcStat.parse((int) p.pid(), readAll(p.stdout()));
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Exited(0));
            return s;
        }
    }

    @Test
    void sessionAndProcessGroup() throws Exception {
        ProcStat self = ProcStat.read(Unistd.getpid()).orElseThrow();
        ProcessSpec cat = ProcessSpec.of("cat", "/proc/self/stat").stdin(Redirect.DISCARD).stderr(Redirect.DISCARD);

        ProcStat plain = childStat(cat);
        assertThat(plain.pgrp()).isEqualTo(self.pgrp());
        assertThat(plain.session()).isEqualTo(self.session());

        ProcStat group = childStat(cat.newProcessGroup());
        assertThat(group.pgrp()).isEqualTo(group.pid());
        assertThat(group.session()).isEqualTo(self.session());

        ProcStat session = childStat(cat.newSession());
        assertThat(session.session()).isEqualTo(session.pid());
        assertThat(session.pgrp()).isEqualTo(session.pid());
    }

    @Test
    void terminateIsSigtermWhenHeeded() throws Exception {
        try (ChildProcess p = spawn(sh("exec sleep 600"))) {
            assertThat(await(p.terminate(LONG))).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
            assertThat(p.signal(Signal.TERM)).as("already ended").isFalse();
            assertThat(p.kill()).isFalse();
        }
    }

    @Test
    void terminateEscalatesToSigkill() throws Exception {
        try (ChildProcess p = spawn(sh("trap '' TERM; echo ready; exec sleep 600").stdout(Redirect.PIPE))) {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.US_ASCII));
            assertThat(r.readLine()).isEqualTo("ready"); // the trap is in place
            assertThat(await(p.terminate(Duration.ofMillis(200)))).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        }
    }

    @Test
    void terminateGroupKillsAGrandchild() throws Exception {
        ProcessSpec spec = sh("sleep 600 & echo $!; wait").newProcessGroup().stdout(Redirect.PIPE);
        try (ChildProcess p = spawn(spec)) {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.US_ASCII));
            int grandchild = Integer.parseInt(r.readLine().trim());
            assertThat(ProcStat.read(grandchild).orElseThrow().pgrp()).isEqualTo((int) p.pid());
            CompletableFuture<ExitStatus> grandchildGone = monitor.watch(grandchild);
            assertThat(await(p.terminateGroup(LONG))).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
            // Not our child: we learn that it died, not how.
            assertThat(await(grandchildGone)).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD));
            assertThat(p.signalGroup(Signal.KILL)).as("leader reaped: the group id may be reused").isFalse();
        }
    }

    @Test
    void groupSignalsNeedAGroup() throws Exception {
        try (ChildProcess p = spawn(sh("exec sleep 600"))) {
            assertThatThrownBy(() -> p.signalGroup(Signal.TERM)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("newProcessGroup");
            p.kill();
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        }
    }

    @Test
    void waitForWithATimeout() throws Exception {
        try (ChildProcess p = spawn(sh("exec sleep 600"))) {
            assertThat(p.waitFor(Duration.ofMillis(20))).isEmpty();
            assertThat(p.isAlive()).isTrue();
            assertThat(p.kill()).isTrue();
            // A wait longer than a long of nanoseconds means "forever", not an overflow.
            assertThat(p.waitFor(Duration.ofSeconds(Long.MAX_VALUE))).contains(new ExitStatus.Signaled(Signal.KILL, false));
        }
    }

    @Test
    void waitForOnAPlatformThreadReapsThereWithPidfds() throws Exception {
        // The child exits only once this thread waits on its pidfd: otherwise, on a loaded
        // machine, the loop may see the exit first, and rightly reap it itself.
        try (ChildProcess p = spawn(sh("read x; exit 3").stdin(Redirect.PIPE))) {
            CompletableFuture<Thread> completedOn = p.onExit().thenApply(s -> Thread.currentThread());
            Thread.ofVirtual().start(() -> {
                long deadline = System.nanoTime() + LONG.toNanos();
                while (backend() == MonitorBackend.PIDFD && System.nanoTime() < deadline
                        && !TestAccess.registration(p).toString().contains("DETACHED_FOR_CALLER")) {
                    Thread.yield(); // no event tells us; the wait is microseconds
                }
                try {
                    p.stdin().close();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(3));
            if (backend() == MonitorBackend.PIDFD) {
                // Elsewhere the monitor thread completes it (and a thread in get() may run the
                // dependent actions itself, so which thread ran them proves nothing there).
                assertThat(completedOn.get(LONG.toSeconds(), TimeUnit.SECONDS)).as("the thread that completed the exit")
                        .isSameAs(Thread.currentThread());
            }
            assertThat(p.resourceUsage()).isPresent();
            assertThat(Children.state((int) p.pid())).as("reaped, no zombie").isEqualTo('?');
        }
    }

    /** A thread in {@code p.waitFor()}: what it returned, or threw. */
    record Waiter(Thread thread, CompletableFuture<ExitStatus> outcome) {}

    /** Starts a thread that calls {@code p.waitFor()}; returns once it is about to. */
    static Waiter waitForOn(Thread.Builder builder, ChildProcess p) throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<ExitStatus> outcome = new CompletableFuture<>();
        Thread t = builder.start(() -> {
            started.countDown();
            try {
                outcome.complete(p.waitFor());
            } catch (Throwable e) {
                outcome.completeExceptionally(e);
            }
        });
        assertThat(started.await(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
        return new Waiter(t, outcome);
    }

    @Test
    void waitForOnVirtualThreads() throws Exception {
        // A virtual thread must not block its carrier in poll(2): it waits for the monitor.
        try (ChildProcess p = spawn(sh("exit 4"))) {
            assertThat(await(waitForOn(Thread.ofVirtual(), p).outcome())).isEqualTo(new ExitStatus.Exited(4));
            assertThat(Children.state((int) p.pid())).as("reaped, no zombie").isEqualTo('?');
        }
    }

    @Test
    void waitForIsInterruptibleAndTheChildIsStillReaped() throws Exception {
        try (ChildProcess p = spawn(sh("exec sleep 600"))) {
            // Interrupted before the call: throws at once, flag cleared, as Object.wait() does.
            Thread.currentThread().interrupt();
            assertThatThrownBy(p::waitFor).isInstanceOf(InterruptedException.class);
            assertThat(Thread.interrupted()).isFalse();
            // Interrupted by another thread, before or during its wait.
            Waiter w = waitForOn(Thread.ofPlatform(), p);
            w.thread().interrupt();
            assertThatThrownBy(() -> w.outcome().get(LONG.toSeconds(), TimeUnit.SECONDS))
                    .hasCauseInstanceOf(InterruptedException.class);
            assertThat(p.isAlive()).isTrue();
            // The monitor watches it again: its exit is seen without anyone in waitFor.
            p.kill();
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
            assertThat(Children.state((int) p.pid())).as("reaped, no zombie").isEqualTo('?');
        }
    }

    @Test
    void concurrentWaitersAllGetTheStatus() throws Exception {
        try (ChildProcess p = spawn(sh("exec sleep 600"))) {
            List<Waiter> waiters = new ArrayList<>();
            for (int i = 0; i < 4; i++) waiters.add(waitForOn(Thread.ofPlatform(), p));
            p.kill();
            for (Waiter w : waiters) {
                assertThat(await(w.outcome())).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
                w.thread().join();
            }
        }
    }

    @Test
    void closingTheMonitorEndsAWaitForAtOnce() throws Exception {
        ProcessMonitor m = ProcessMonitor.create(backend());
        ChildProcess p = sh("exec sleep 600").spawn(m);
        int pid = (int) p.pid();
        try {
            Waiter w = waitForOn(Thread.ofPlatform(), p);
            m.close();
            // The child still runs (the shared monitor has it); the waiter is told, not left hanging.
            assertThatThrownBy(() -> w.outcome().get(LONG.toSeconds(), TimeUnit.SECONDS))
                    .hasCauseInstanceOf(IllegalStateException.class);
            assertThat(Children.state(pid)).isIn('S', 'R');
        } finally {
            CompletableFuture<ExitStatus> gone = ProcessMonitor.shared().watch(pid);
            Children.kill(pid, Signal.KILL.number()); // unreaped child of ours: its pid cannot be reused yet
            gone.get(LONG.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void cancellingOnExitNeverTouchesTheProcess() throws Exception {
        try (ChildProcess p = spawn(sh("exec sleep 600"))) {
            CompletableFuture<ExitStatus> first = p.onExit();
            assertThat(first.cancel(true)).isTrue();
            CompletableFuture<ExitStatus> second = p.onExit();
            assertThat(second).isNotSameAs(first).isNotDone();
            assertThat(p.isAlive()).isTrue();
            p.kill();
            assertThat(await(second)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        }
    }

    @Test
    void closeReleasesPipesButDoesNotKill() throws Exception {
        ChildProcess p = spawn(sh("exec sleep 600").stdin(Redirect.PIPE).stdout(Redirect.PIPE).stderr(Redirect.PIPE));
        p.close();
        p.close(); // idempotent
        assertThatThrownBy(() -> p.stdout().read()).isInstanceOf(IOException.class);
        assertThat(p.isAlive()).isTrue();
        assertThat(p.waitFor(Duration.ofMillis(20))).isEmpty();
        p.kill();
        assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
    }

    @Test
    void closingTheMonitorLetsGoOfTheChild() throws Exception {
        ProcessMonitor m = ProcessMonitor.create(backend());
        ChildProcess p = sh("exec sleep 600").spawn(m);
        CompletableFuture<ExitStatus> f = p.onExit();
        m.close();
        assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
        assertThatThrownBy(p::waitFor).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(p.signal(Signal.TERM)).as("no longer ours to signal").isFalse();
        // The shared monitor took the child over and reaps it.
        CompletableFuture<ExitStatus> shared = ProcessMonitor.shared().watch(p.pid());
        Children.kill((int) p.pid(), Signal.KILL.number());
        assertThat(await(shared)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(Children.state((int) p.pid())).isEqualTo('?');
    }

    @Test
    void nonPipeStreamsAreRefusedWithTheRedirect() throws Exception {
        try (ChildProcess p = spawn(sh("exit 0"))) {
            assertThatThrownBy(p::stdout).isInstanceOf(IllegalStateException.class).hasMessageContaining("DISCARD");
            assertThatThrownBy(p::stdin).isInstanceOf(IllegalStateException.class);
            assertThat(await(p.onExit()).isSuccess()).isTrue();
        }
    }

    @Test
    void directoryAndEnvironment(@TempDir Path dir) throws Exception {
        ProcessSpec printer = sh("pwd; echo \"A=$A B=$B HOME=${HOME-unset}\"").directory(dir).stdout(Redirect.PIPE);
        try (ChildProcess p = spawn(printer.environment(Map.of("A", "1", "PATH", "/bin:/usr/bin")).env("B", "two"))) {
            assertThat(readAll(p.stdout())).isEqualTo(dir.toRealPath() + "\nA=1 B=two HOME=unset\n");
            assertThat(await(p.onExit()).isSuccess()).isTrue();
        }
        try (ChildProcess p = spawn(printer.inheritEnvironmentOnly(List.of("HOME")).env("A", "x"))) {
            assertThat(readAll(p.stdout())).endsWith("A=x B= HOME=" + System.getenv("HOME") + "\n");
            assertThat(await(p.onExit()).isSuccess()).isTrue();
        }
    }

    @Test
    void aThousandConcurrentChildrenOnOneMonitorThread() throws Exception {
        int threadsBefore = Thread.activeCount();
        List<ChildProcess> children = new ArrayList<>();
        try {
            ProcessSpec sleeper = ProcessSpec.of("sleep", "600").stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                    .stderr(Redirect.DISCARD);
            for (int i = 0; i < 1000; i++) {
                children.add(spawn(sleeper));
            }
            assertThat(monitor.watchedCount()).isEqualTo(1000);
            assertThat(Thread.activeCount()).as("no thread per child").isLessThanOrEqualTo(threadsBefore);
        } finally {
            children.forEach(ChildProcess::kill);
        }
        List<CompletableFuture<ExitStatus>> exits = children.stream().map(ChildProcess::onExit).toList();
        CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        for (CompletableFuture<ExitStatus> f : exits) {
            assertThat(f.get()).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        }
        assertThat(monitor.watchedCount()).isZero();
    }
}
