package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.testing.Children;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Non-blocking stdio on the monitor loop (issue 12), on one backend (subclasses pick it): pull
 * streams on virtual and platform threads, push with backpressure, collect, the bounded drain
 * at exit, EPIPE. Real children; nothing sleeps to wait for an event; every child that would
 * outlive its test is killed.
 */
abstract class StdioContract {
    static final long LONG = 60;

    abstract MonitorBackend backend();

    ProcessMonitor monitor;
    long fdsBefore;
    final List<ChildProcess> children = new ArrayList<>();
    final List<Integer> strays = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        monitor = ProcessMonitor.create(backend());
        fdsBefore = Children.openFds();
    }

    @AfterEach
    void stop() throws Exception {
        for (int pid : strays) {
            try {
                Children.kill(pid, 9);
            } catch (IllegalStateException gone) {
                // already gone
            }
        }
        for (ChildProcess c : children) {
            c.kill();
            c.onExit().get(LONG, TimeUnit.SECONDS);
            c.close();
        }
        assertThat(TestAccess.loop(monitor).pipes().openEnds()).as("pipe ends left on the loop").isZero();
        monitor.close();
        assertThat(Children.openFds()).as("descriptors leaked").isLessThanOrEqualTo(fdsBefore);
    }

    ChildProcess sh(String script, Redirect in, Redirect out, Redirect err) throws SpawnException {
        ChildProcess c = ProcessSpec.of("sh", "-c", script).stdin(in).stdout(out).stderr(err).spawn(monitor);
        children.add(c);
        return c;
    }

    static <T> CompletableFuture<T> onVirtual(Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    static <T> CompletableFuture<T> onPlatform(Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(LONG, TimeUnit.SECONDS);
    }

    Path randomFile(String name, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Files.write(dir.resolve(name), b);
    }

    @Test
    void largeOutputOnBothStreamsAtOnceIsByteExactOnVirtualAndPlatformThreads() throws Exception {
        Path a = randomFile("a", 3 << 20, 1);
        Path b = randomFile("b", 2 << 20, 2);
        String script = "cat '" + a + "' & cat '" + b + "' >&2; wait";
        for (boolean virtual : new boolean[] {true, false}) {
            ChildProcess c = sh(script, Redirect.DISCARD, Redirect.PIPE, Redirect.PIPE);
            CompletableFuture<byte[]> out = virtual ? onVirtual(c.stdout()::readAllBytes) : onPlatform(c.stdout()::readAllBytes);
            CompletableFuture<byte[]> err = virtual ? onVirtual(c.stderr()::readAllBytes) : onPlatform(c.stderr()::readAllBytes);
            assertThat(get(out)).isEqualTo(Files.readAllBytes(a));
            assertThat(get(err)).isEqualTo(Files.readAllBytes(b));
            assertThat(get(c.onExit())).isEqualTo(new ExitStatus.Exited(0));
            assertThat(c.outputCutOff()).isFalse();
        }
    }

    @Test
    void collectCapturesChattyOutputAndTheStatusWithoutAThread() throws Exception {
        ChildProcess c = sh("seq 1 200000; seq 1 1000 >&2; exit 3", Redirect.DISCARD, Redirect.PIPE, Redirect.PIPE);
        ProcessOutput o = get(c.collect());
        assertThat(o.status()).isEqualTo(new ExitStatus.Exited(3));
        List<String> lines = o.stdoutLines();
        assertThat(lines).hasSize(200000);
        assertThat(lines.getFirst()).isEqualTo("1");
        assertThat(lines.getLast()).isEqualTo("200000");
        assertThat(o.stderrLines()).hasSize(1000);
        assertThat(o.stdoutTruncated()).isFalse();
        assertThat(o.cutOff()).isFalse();
    }

    @Test
    void collectKeepsUpToTheCapAndStillDrainsTheRest() throws Exception {
        ChildProcess c = sh("head -c 1000000 /dev/zero", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        ProcessOutput o = get(c.collect(1000));
        assertThat(o.stdout()).hasSize(1000);
        assertThat(o.stdoutTruncated()).isTrue();
        assertThat(o.status()).isEqualTo(new ExitStatus.Exited(0)); // it never blocked on a full pipe
    }

    @Test
    void pushWithDemandIsByteExact() throws Exception {
        Path a = randomFile("a", 1 << 20, 3);
        ChildProcess c = sh("cat '" + a + "'", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        Collecting sub = new Collecting(1);
        c.stdoutPublisher().subscribe(sub);
        get(sub.done);
        assertThat(sub.bytes()).isEqualTo(Files.readAllBytes(a));
        assertThat(sub.loopThread.get().getName()).startsWith("procwarden-monitor-");
    }

    @Test
    void backpressureStopsTheChildAndMemoryStaysBounded() throws Exception {
        ChildProcess c = sh("exec head -c 4194304 /dev/zero", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        Collecting sub = new Collecting(0);
        c.stdoutPublisher().subscribe(sub);
        sub.subscription.get(LONG, TimeUnit.SECONDS).request(1);
        get(sub.first);
        // Without demand the child cannot finish its 4 MiB: it blocks in write on a full pipe.
        assertThat(c.waitFor(Duration.ofMillis(500))).isEmpty();
        assertThat(sub.received.get()).as("one buffer delivered, nothing more read").isLessThanOrEqualTo(64 * 1024);
        assertThat(Files.readString(Path.of("/proc/" + c.pid() + "/wchan")).trim()).isIn("pipe_write", "anon_pipe_write", "pipe_wait", "0"); // by kernel version; 0 where hidden
        sub.subscription.get().request(Long.MAX_VALUE);
        get(sub.done);
        assertThat(sub.received.get()).isEqualTo(4194304);
        assertThat(get(c.onExit())).isEqualTo(new ExitStatus.Exited(0));
    }

    @Test
    void stdinStreamedToASlowReaderFromAPublisherAndFromAStream() throws Exception {
        int size = 8 << 20;
        ChildProcess c = sh("dd bs=512 status=none | wc -c", Redirect.PIPE, Redirect.PIPE, Redirect.DISCARD);
        CompletableFuture<Long> fed;
        try (SubmissionPublisher<ByteBuffer> pub = new SubmissionPublisher<>()) {
            fed = c.stdinFrom(pub);
            for (int i = 0; i < size / 65536; i++) pub.submit(ByteBuffer.allocate(65536));
        }
        assertThat(get(fed)).isEqualTo(size);
        assertThat(new String(c.stdout().readAllBytes(), StandardCharsets.US_ASCII).trim()).isEqualTo(String.valueOf(size));

        ChildProcess d = sh("dd bs=512 status=none | wc -c", Redirect.PIPE, Redirect.PIPE, Redirect.DISCARD);
        get(onVirtual(() -> {
            try (OutputStream o = d.stdin()) {
                o.write(new byte[size]);
            }
            return null;
        }));
        assertThat(new String(d.stdout().readAllBytes(), StandardCharsets.US_ASCII).trim()).isEqualTo(String.valueOf(size));
    }

    @Test
    void endOfFileAndEpipeNeverASignal() throws Exception {
        ChildProcess done = sh("true", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        assertThat(done.stdout().read()).isEqualTo(-1);

        ChildProcess c = sh("exec 0<&-; echo closed; exec sleep 600", Redirect.PIPE, Redirect.PIPE, Redirect.DISCARD);
        byte[] line = new byte[7];
        assertThat(c.stdout().readNBytes(line, 0, 7)).isEqualTo(7);
        for (boolean virtual : new boolean[] {true, false}) {
            CompletableFuture<Object> w = (virtual ? onVirtual(() -> write(c.stdin(), 1 << 20)) : onPlatform(() -> write(c.stdin(), 1 << 20)));
            assertThatThrownBy(() -> get(w)).hasCauseInstanceOf(IOException.class).hasMessageContaining("EPIPE");
        }
        try (SubmissionPublisher<ByteBuffer> pub = new SubmissionPublisher<>()) {
            CompletableFuture<Long> fed = c.stdinFrom(pub);
            pub.submit(ByteBuffer.wrap(new byte[100]));
            assertThatThrownBy(() -> get(fed)).hasMessageContaining("EPIPE");
        }
        assertThat(c.isAlive()).isTrue();
    }

    private static Object write(OutputStream o, int n) throws IOException {
        o.write(new byte[n]);
        return null;
    }

    @Test
    void aGrandchildHoldingThePipesBoundsTheDrainAndFlagsIt() throws Exception {
        // The shell exits at once; its background sleep keeps stdout and stderr open.
        ChildProcess c = sh("sleep 600 & echo $!", Redirect.DISCARD, Redirect.PIPE, Redirect.PIPE);
        long start = System.nanoTime();
        byte[] all = get(onVirtual(c.stdout()::readAllBytes));
        strays.add(Integer.parseInt(new String(all, StandardCharsets.US_ASCII).trim()));
        assertThat(get(c.onExit())).isEqualTo(new ExitStatus.Exited(0));
        assertThat(c.outputCutOff()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        // stderr, unread so far, ends too (on a platform thread: poll(2) with the deadline).
        assertThat(get(onPlatform(c.stderr()::readAllBytes))).isEmpty();

        // Pushed (collect): the held, silent pipe is ended by the loop's drain timer.
        Path sleepPid = dir.resolve("sleep.pid");
        ChildProcess q = sh("sleep 600 & echo $! > '" + sleepPid + "'; echo out; echo err >&2", Redirect.DISCARD,
                Redirect.PIPE, Redirect.PIPE);
        CompletableFuture<ProcessOutput> quiet = q.collect();
        get(q.onExit());
        strays.add(Integer.parseInt(Files.readString(sleepPid).trim()));
        ProcessOutput qo = get(quiet);
        assertThat(qo.stdoutText()).isEqualTo("out\n");
        assertThat(qo.stderrText()).isEqualTo("err\n");
        assertThat(qo.cutOff()).isTrue();

        // A grandchild that never stops writing: the drain still ends at its deadline.
        Path pidFile = dir.resolve("yes.pid");
        ChildProcess y = sh("yes & echo $! > '" + pidFile + "'", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        CompletableFuture<ProcessOutput> collected = y.collect(1 << 20);
        get(y.onExit());
        strays.add(Integer.parseInt(Files.readString(pidFile).trim()));
        ProcessOutput o = get(collected);
        assertThat(o.cutOff()).isTrue();
        assertThat(o.stdout().length).isPositive();
    }

    @Test
    void jdkViewStreamsEndAtExitLikeTheJdk() throws Exception {
        ChildProcess c = sh("sleep 600 & echo $!; echo line2", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        c.drainTimeout(Duration.ZERO);
        Process p = c.asProcess();
        assertThat(p.getInputStream()).isSameAs(c.stdout());
        byte[] all = get(onVirtual(p.getInputStream()::readAllBytes));
        String[] lines = new String(all, StandardCharsets.US_ASCII).split("\n");
        strays.add(Integer.parseInt(lines[0].trim()));
        assertThat(lines[1]).isEqualTo("line2");
        assertThat(p.waitFor()).isZero();
    }

    @Test
    void killedWhileAGrandchildKeepsWritingTheJdkViewStillEnds() throws Exception {
        // Apache Commons Exec's Exec34Test shape: a watchdog kills sh while its child keeps writing.
        Path pidFile = dir.resolve("ticker.pid");
        ChildProcess c = sh("(while :; do echo tick; sleep 0.05; done) & echo $! > '" + pidFile + "'; echo started;"
                + " exec sleep 600", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        Process p = c.asProcess();
        InputStream in = p.getInputStream();
        var lines = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.US_ASCII));
        for (String l; !(l = lines.readLine()).equals("started"); ) assertThat(l).isEqualTo("tick");
        strays.add(Integer.parseInt(Files.readString(pidFile).trim())); // written before "started"
        CompletableFuture<byte[]> rest = onVirtual(in::readAllBytes);
        long killed = System.nanoTime();
        p.destroyForcibly();
        get(rest);
        assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(10));
        assertThat(p.waitFor()).isEqualTo(128 + 9);
        assertThat(c.outputCutOff()).isTrue();
    }

    @Test
    void closeAndInterruptInTheMiddleOfARead() throws Exception {
        for (boolean virtual : new boolean[] {true, false}) {
            ChildProcess c = sh("exec sleep 600", Redirect.DISCARD, Redirect.PIPE, Redirect.PIPE);
            CountDownLatch reading = new CountDownLatch(1);
            CompletableFuture<Integer> r = virtual
                    ? onVirtual(() -> { reading.countDown(); return c.stdout().read(); })
                    : onPlatform(() -> { reading.countDown(); return c.stdout().read(); });
            reading.await(LONG, TimeUnit.SECONDS);
            assertThat(c.waitFor(Duration.ofMillis(100))).isEmpty(); // the read blocks meanwhile
            c.stdout().close();
            assertThatThrownBy(() -> get(r)).hasCauseInstanceOf(IOException.class).hasMessageContaining("closed");

            AtomicReference<Thread> reader = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Callable<Integer> read = () -> {
                reader.set(Thread.currentThread());
                started.countDown();
                return c.stderr().read();
            };
            CompletableFuture<Integer> s = virtual ? onVirtual(read) : onPlatform(read);
            started.await(LONG, TimeUnit.SECONDS);
            assertThat(c.waitFor(Duration.ofMillis(100))).isEmpty();
            reader.get().interrupt();
            assertThatThrownBy(() -> get(s)).hasCauseInstanceOf(InterruptedIOException.class);
        }
        ChildProcess c = sh("exec sleep 600", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        ReadableByteChannel ch = c.stdoutChannel();
        AtomicReference<Thread> reader = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Integer> r = onVirtual(() -> {
            reader.set(Thread.currentThread());
            started.countDown();
            return ch.read(ByteBuffer.allocate(10));
        });
        started.await(LONG, TimeUnit.SECONDS);
        assertThat(c.waitFor(Duration.ofMillis(100))).isEmpty();
        reader.get().interrupt();
        assertThatThrownBy(() -> get(r)).hasCauseInstanceOf(ClosedByInterruptException.class);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void cancellingASubscriptionClosesThePipe() throws Exception {
        ChildProcess c = sh("exec yes", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
        Collecting sub = new Collecting(1);
        sub.cancelAfterFirst = true;
        c.stdoutPublisher().subscribe(sub);
        get(sub.first);
        // yes then writes to a pipe without a reader: SIGPIPE in the child (not in us).
        assertThat(get(c.onExit())).isEqualTo(new ExitStatus.Signaled(Signal.PIPE, false));

        // Closing the handle while a collector waits on a silent child fails the collection.
        ChildProcess s = sh("exec sleep 600", Redirect.DISCARD, Redirect.PIPE, Redirect.PIPE);
        CompletableFuture<ProcessOutput> collected = s.collect();
        s.close();
        assertThatThrownBy(() -> get(collected)).hasCauseInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void readersOnSilentChildrenPinNoCarrier() throws Exception {
        int readers = 2 * Runtime.getRuntime().availableProcessors() + 2;
        List<CompletableFuture<byte[]>> reads = new ArrayList<>();
        for (int i = 0; i < readers; i++) {
            ChildProcess c = sh("exec sleep 600", Redirect.DISCARD, Redirect.PIPE, Redirect.DISCARD);
            reads.add(onVirtual(c.stdout()::readAllBytes));
        }
        long start = System.nanoTime();
        get(onVirtual(() -> "ran"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        for (ChildProcess c : children) c.kill();
        for (CompletableFuture<byte[]> r : reads) assertThat(get(r)).isEmpty();
    }

    /** A subscriber that keeps what it gets; {@code initial} is its first request. */
    static final class Collecting implements Flow.Subscriber<ByteBuffer> {
        final long initial;
        final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
        final CompletableFuture<Void> first = new CompletableFuture<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final AtomicLong received = new AtomicLong();
        final AtomicReference<Thread> loopThread = new AtomicReference<>();
        final java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
        volatile boolean cancelAfterFirst;

        Collecting(long initial) {
            this.initial = initial;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription.complete(s);
            if (initial > 0) s.request(initial);
        }

        @Override
        public void onNext(ByteBuffer item) {
            loopThread.set(Thread.currentThread());
            received.addAndGet(item.remaining());
            if (received.get() <= (8 << 20)) kept.write(item.array(), item.arrayOffset() + item.position(), item.remaining());
            first.complete(null);
            if (cancelAfterFirst) {
                subscription.join().cancel();
            } else if (initial > 0) {
                subscription.join().request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }

        byte[] bytes() {
            return kept.toByteArray();
        }
    }
}
