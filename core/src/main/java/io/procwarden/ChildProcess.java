package io.procwarden;

import io.procwarden.internal.io.ChildPipes;
import io.procwarden.internal.io.LineSubscriber;
import io.procwarden.internal.jail.Containment;
import io.procwarden.internal.launch.Launched;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.internal.monitor.Registration;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A process started from a {@link ProcessSpec}: its exit, its signals and its pipes.
 *
 * <p>The child is registered with a {@link ProcessMonitor} before {@code spawn()} returns; the
 * monitor reaps it exactly once when it exits, whether or not anybody waits, so it never stays a
 * zombie. Where the kernel has pidfds (Linux 5.3+) the handle holds one and every signal goes
 * through {@code pidfd_send_signal} ("handle mode"): a recycled pid can never be hit. Otherwise
 * ("pid mode") signals use {@code kill(pid)} only while the child is unreaped, when its pid
 * cannot have been reused.
 *
 * <p>If the monitor is closed while the child runs, the monitor hands the child to
 * {@link ProcessMonitor#shared()}, which reaps it, and this handle lets go of it:
 * {@link #onExit()} and {@link #waitFor()} fail with {@link IllegalStateException} and the
 * signal methods return false.
 *
 * <p>A jailed child with a cgroup ({@link JailSpec}) is contained: {@link #kill()} and
 * {@link #terminate(Duration)} signal every process in its cgroup, so nothing it started
 * outlives it; {@link #signal(Signal)} still reaches the one process we spawned, and
 * {@link #oomKills()} says whether the OOM killer acted in the cgroup. A child spawned with
 * {@link ProcessSpec#containTree()} is contained the same way on every rung of
 * {@link TreeMechanism}, and {@link #killTree()} and {@link #terminateTree(Duration)} say so
 * explicitly (they refuse an uncontained child); {@link #killedByUs()} tells whether our own
 * kill or terminate ended it.
 *
 * <p>Pipes: our ends are non-blocking and served by the monitor's one thread, with the exits.
 * Read or write them as streams or channels (a virtual thread parks while the pipe is not
 * ready, a platform thread blocks in poll(2)), have them pushed to a {@link Flow.Subscriber}
 * with backpressure, or {@link #collect()} everything at once. At the exit the output streams
 * give what the pipes hold, then what arrives within the {@linkplain #drainTimeout(Duration)
 * drain timeout}, then end: a grandchild that keeps a pipe open cannot make them hang
 * ({@link #outputCutOff()}).
 *
 * <p>{@link #close()} closes our ends of the pipes; it does not kill or wait for the child.
 * Thread-safe; the streams themselves are for one user at a time, like any stream. Parameters
 * must be non-null.
 */
public final class ChildProcess implements AutoCloseable {
    private final ProcessSpec spec;
    private final MonitorLoop monitor;
    private final Launched launched;
    private final Registration registration;
    private final Exit exit;
    private final Process view;
    /** Bit {@code n - 1} set: signal n was sent by kill, terminate, terminateGroup, killTree or terminateTree. */
    private final AtomicLong sentToEnd = new AtomicLong();

    /** Wraps what the launcher started from {@code spec}; {@code exit} is the listener it was registered with. */
    ChildProcess(ProcessSpec spec, MonitorLoop monitor, Launched launched, Exit exit) {
        this.spec = spec;
        this.monitor = monitor;
        this.launched = launched;
        this.registration = launched.registration();
        this.exit = exit;
        this.view = new JdkProcessView(this);
    }

    /** Receives the exit from the monitor thread. Completed exactly once; never handed out. */
    static final class Exit implements ExitListener {
        final CompletableFuture<ExitStatus> future = new CompletableFuture<>();
        volatile ResourceUsage usage;

        @Override
        public void onExit(ExitStatus status, ResourceUsage usage) {
            this.usage = usage;
            future.complete(status);
        }

        @Override
        public void onFailure(Throwable error) {
            future.completeExceptionally(error);
        }
    }

    /** The process id. */
    public long pid() {
        return launched.pid();
    }

    /** The spec it was started from. */
    public ProcessSpec spec() {
        return spec;
    }

    /**
     * A new future of how the process ended, completed when the process has been reaped.
     * Cancelling it never touches the process or other futures. It completes on the monitor
     * thread, or on a thread blocked in {@link #waitFor()} that reaped the process itself: keep
     * non-async dependent actions short and non-blocking. It fails with
     * {@link IllegalStateException} if the monitor is closed before the process ends.
     */
    public CompletableFuture<ExitStatus> onExit() {
        return exit.future.copy();
    }

    /**
     * Waits until the process has ended. On a platform thread, with pidfds, the calling thread
     * waits on the process's pidfd and reaps it itself, rather than waiting for the monitor
     * thread to do it and wake it: one thread hand-off less per exit. Virtual threads wait for
     * the monitor (they must not block their carrier thread).
     *
     * @throws InterruptedException if this thread is interrupted while waiting
     * @throws IllegalStateException if the monitor was closed before the process ended
     */
    public ExitStatus waitFor() throws InterruptedException {
        monitor.awaitInCaller(registration, -1, exit.future);
        try {
            return exit.future.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("pid " + pid() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Waits at most {@code timeout} for the process to end, as {@link #waitFor()} does.
     *
     * @return how it ended, or empty if it still runs when the time is up
     * @throws InterruptedException if this thread is interrupted while waiting
     * @throws IllegalStateException if the monitor was closed before the process ended
     */
    public Optional<ExitStatus> waitFor(Duration timeout) throws InterruptedException {
        long limit = nanos(timeout);
        long start = System.nanoTime();
        monitor.awaitInCaller(registration, limit, exit.future);
        try {
            return Optional.of(exit.future.get(Math.max(0, limit - (System.nanoTime() - start)), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("pid " + pid() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** True until the monitor has reaped the process (a process that just died may still show as alive). */
    public boolean isAlive() {
        return !exit.future.isDone();
    }

    /**
     * User and system CPU time and peak resident set size over the process's whole life, as the
     * kernel reported when reaping it. Empty while it runs, and if it was reaped by someone else.
     */
    public Optional<ResourceUsage> resourceUsage() {
        return exit.future.isDone() ? Optional.ofNullable(exit.usage) : Optional.empty();
    }

    /**
     * Sends a signal to the process.
     *
     * @return false if it has already ended; true if the signal was delivered (a process that
     *     just died but is not reaped yet also accepts, and ignores, signals)
     * @throws UncheckedIOException if the system refuses (e.g. EPERM after the child became
     *     setuid)
     */
    public boolean signal(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        if (exit.future.isDone()) return false;
        try {
            return registration.signal(signal.number());
        } catch (SyscallException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends SIGKILL; as {@link #signal(Signal)}. A contained (jailed, with a cgroup) child is killed
     * with everything in its cgroup, atomically where the kernel can (cgroup v2 {@code cgroup.kill}).
     */
    public boolean kill() {
        sentToEnd(Signal.KILL);
        return signalContained(Signal.KILL);
    }

    /**
     * Sends SIGTERM, then SIGKILL if the process has not ended after {@code grace}. For a
     * contained child both go to every process in its cgroup, as {@link #kill()}.
     *
     * @return a new future of how it ended (as {@link #onExit()}); it fails if the escalation
     *     itself fails
     * @throws UncheckedIOException if SIGTERM cannot be sent
     * @throws IllegalArgumentException if {@code grace} is negative
     */
    public CompletableFuture<ExitStatus> terminate(Duration grace) {
        return escalate(grace, false);
    }

    /**
     * Sends a signal to the whole process group this child leads (it was started with
     * {@link ProcessSpec#newProcessGroup()} or {@link ProcessSpec#newSession()}), grandchildren
     * included, with {@code kill(-pgid)}. Only while the leader is unreaped: after that its
     * group id could be reused by an unrelated group, so members that outlive the leader can
     * no longer be reached this way.
     *
     * @return false if the leader has already been reaped (or the group is empty)
     * @throws IllegalStateException if the child does not lead a process group
     * @throws UncheckedIOException if the system refuses
     */
    public boolean signalGroup(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        if (!spec.isNewProcessGroup()) {
            throw new IllegalStateException("pid " + pid() + " does not lead a process group;"
                    + " spawn it with newProcessGroup() or newSession()");
        }
        try {
            return registration.signalGroup(signal.number());
        } catch (SyscallException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends SIGTERM to the process group this child leads, then SIGKILL to the group if the
     * leader has not ended after {@code grace} (see {@link #signalGroup(Signal)} for the limits).
     *
     * @return a new future of how the leader ended
     * @throws IllegalStateException if the child does not lead a process group
     */
    public CompletableFuture<ExitStatus> terminateGroup(Duration grace) {
        return escalate(grace, true);
    }

    private CompletableFuture<ExitStatus> escalate(Duration grace, boolean group) {
        if (grace.isNegative()) throw new IllegalArgumentException("negative grace period: " + grace);
        CompletableFuture<ExitStatus> result = onExit();
        sentToEnd(Signal.TERM);
        boolean sent = group ? signalGroup(Signal.TERM) : signalContained(Signal.TERM);
        if (sent) {
            // orTimeout's timer is cancelled when the process ends first: nothing lingers.
            exit.future.copy().orTimeout(nanos(grace), TimeUnit.NANOSECONDS).whenComplete((status, error) -> {
                if (error instanceof TimeoutException) {
                    try {
                        sentToEnd(Signal.KILL);
                        if (group) signalGroup(Signal.KILL);
                        else kill();
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                }
            });
        }
        return result;
    }

    /** {@code signal} to the whole container if there is one (kill, terminate), else to the process. */
    private boolean signalContained(Signal signal) {
        Containment containment = launched.containment();
        if (containment == null) return signal(signal);
        if (exit.future.isDone()) return false;
        try {
            return containment.signalAll(signal.number());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends SIGKILL to every process of the child's tree at once: the child, its children, and
     * theirs, however they detached (double fork, {@code setsid}); none can fork past it. The
     * child's {@link #onExit()} then completes once nothing of the tree is left.
     *
     * @return false if the tree has already ended
     * @throws IllegalStateException if the child's tree is not contained (spawn it with
     *     {@link ProcessSpec#containTree()}, or jail it with a cgroup)
     * @throws UncheckedIOException if the system refuses (the message names the file or pid)
     */
    public boolean killTree() {
        treeContainment();
        sentToEnd(Signal.KILL);
        return signalContained(Signal.KILL);
    }

    /**
     * Sends {@code signal} to every process of the child's tree at once (none forks past it: a
     * cgroup is frozen meanwhile, the subreaper rung stops the members first), as
     * {@link #signal(Signal)} does to the one process; the CLI forwards the signals it receives
     * this way.
     *
     * @return false if the tree has already ended
     * @throws IllegalStateException if the child's tree is not contained (see {@link #killTree()})
     * @throws UncheckedIOException if the system refuses (the message names the file or pid)
     */
    public boolean signalTree(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        treeContainment();
        return signalContained(signal);
    }

    /**
     * Sends SIGTERM to every process of the child's tree, waits out {@code grace}, then sends
     * SIGKILL to every process still there. Members that outlive the child get the whole grace
     * too. The future completes only when no member of the tree remains.
     *
     * @return a new future of how the child ended, completed once the tree is empty; it fails if
     *     the escalation itself fails
     * @throws IllegalStateException if the child's tree is not contained (see {@link #killTree()})
     * @throws IllegalArgumentException if {@code grace} is negative
     * @throws UncheckedIOException if SIGTERM cannot be sent
     */
    public CompletableFuture<ExitStatus> terminateTree(Duration grace) {
        if (grace.isNegative()) throw new IllegalArgumentException("negative grace period: " + grace);
        Containment tree = treeContainment();
        CompletableFuture<ExitStatus> result = onExit();
        long graceNanos = nanos(grace);
        tree.graceUntil(System.nanoTime() + Math.min(graceNanos, Long.MAX_VALUE / 4));
        sentToEnd(Signal.TERM);
        if (signalContained(Signal.TERM)) {
            exit.future.copy().orTimeout(graceNanos, TimeUnit.NANOSECONDS).whenComplete((status, error) -> {
                if (error instanceof TimeoutException) {
                    try {
                        killTree();
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    }
                }
            });
        }
        return result;
    }

    /**
     * True once the process has ended killed by a signal that procwarden sent to end it: through
     * {@link #kill()}, {@link #terminate}, {@link #terminateGroup}, {@link #killTree()} or
     * {@link #terminateTree} (their SIGKILL escalation included), as .NET's {@code Killed} flag.
     * False while it runs, when it exited by itself (even after our SIGTERM, if it handled it),
     * and when a signal from elsewhere ({@link #signal(Signal)} included) killed it.
     */
    public boolean killedByUs() {
        if (!exit.future.isDone() || exit.future.isCompletedExceptionally()) return false;
        return exit.future.join() instanceof ExitStatus.Signaled s
                && (sentToEnd.get() & (1L << (s.signal().number() - 1))) != 0;
    }

    /** The mechanism holding the child's tree, when it was spawned with {@link ProcessSpec#containTree()}. */
    public Optional<TreeMechanism> treeMechanism() {
        Containment c = launched.containment();
        return c == null ? Optional.empty() : c.treeRung().map(TreeMechanism::of);
    }

    private Containment treeContainment() {
        Containment c = launched.containment();
        if (c == null || !c.holdsTree()) {
            throw new IllegalStateException("pid " + pid() + " does not have its process tree contained;"
                    + " spawn it with containTree() (or a jail with a cgroup)");
        }
        return c;
    }

    private void sentToEnd(Signal signal) {
        sentToEnd.getAndUpdate(bits -> bits | (1L << (signal.number() - 1)));
    }

    /**
     * How many processes the OOM killer killed in the child's cgroup over its life, as counted
     * when the child ended and its cgroup was torn down.
     *
     * @return the count (0 if it never acted); empty while the child runs, and for a child without
     *     memory accounting (not jailed, or jailed without a memory limit or cgroup)
     */
    public OptionalLong oomKills() {
        Containment containment = launched.containment();
        if (containment == null || !exit.future.isDone()) return OptionalLong.empty();
        return containment.oomKills();
    }

    /** A duration in nanoseconds for a timed wait: negative as 0, beyond 292 years as forever. */
    private static long nanos(Duration d) {
        if (d.isNegative()) return 0;
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Our end of the child's stdin pipe; close it to give the child end of file. Non-blocking
     * underneath and served by the monitor thread: while the pipe is full a virtual thread
     * parks (no carrier is held) and a platform thread blocks in poll(2); both are
     * interruptible ({@link java.io.InterruptedIOException}, the stream stays usable). Writing
     * to a child that closed its stdin throws an IOException (EPIPE), never a signal; so does
     * a full pipe once the child has exited.
     *
     * @throws IllegalStateException if stdin is not {@link Redirect#PIPE}
     */
    public OutputStream stdin() {
        return pipe(launched.pipes().stdin(), "stdin", spec.stdin());
    }

    /**
     * Our end of the child's stdout pipe, unbuffered, waiting as {@link #stdin()} does. After
     * the child's exit it gives what the pipe held, then what arrives within the
     * {@linkplain #drainTimeout(Duration) drain timeout}, then end of file, even while a
     * grandchild still holds the pipe ({@link #outputCutOff()} then says so).
     *
     * @throws IllegalStateException if stdout is not {@link Redirect#PIPE}
     */
    public InputStream stdout() {
        return pipe(launched.pipes().stdout(), "stdout", spec.stdout());
    }

    /** Our end of the child's stderr pipe, as {@link #stdout()}. @throws IllegalStateException if not piped */
    public InputStream stderr() {
        return pipe(launched.pipes().stderr(), "stderr", spec.stderr());
    }

    /**
     * {@link #stdin()} as a channel. As NIO channels do, an interrupt of a blocked write closes it
     * ({@link java.nio.channels.ClosedByInterruptException}).
     *
     * @throws IllegalStateException if stdin is not {@link Redirect#PIPE}
     */
    public WritableByteChannel stdinChannel() {
        return pipe(launched.pipes().stdinChannel(), "stdin", spec.stdin());
    }

    /** {@link #stdout()} as a channel, interruptible as {@link #stdinChannel()}. @throws IllegalStateException if not piped */
    public ReadableByteChannel stdoutChannel() {
        return pipe(launched.pipes().stdoutChannel(), "stdout", spec.stdout());
    }

    /** {@link #stderr()} as a channel, interruptible as {@link #stdinChannel()}. @throws IllegalStateException if not piped */
    public ReadableByteChannel stderrChannel() {
        return pipe(launched.pipes().stderrChannel(), "stderr", spec.stderr());
    }

    /**
     * The child's stdout pushed to one {@link Flow.Subscriber}, with backpressure: the monitor
     * thread reads only while the subscriber has demand (one buffer of at most 64 KiB per unit:
     * a view of the monitor's read buffer, valid until {@code onNext} returns; copy what you
     * keep), so a subscriber that stops requesting makes the pipe fill and
     * the child block, and memory stays bounded. {@code onComplete} at end of file or when the
     * drain after exit ends; {@code onError} if a read fails or the monitor closes; cancelling
     * closes our end. The subscriber's methods run on the monitor thread: keep them short. Do
     * not read {@link #stdout()} as well.
     *
     * @throws IllegalStateException if stdout is not {@link Redirect#PIPE}
     */
    public Flow.Publisher<ByteBuffer> stdoutPublisher() {
        return pipe(launched.pipes().stdoutPublisher(), "stdout", spec.stdout());
    }

    /** The child's stderr pushed as {@link #stdoutPublisher()} does. @throws IllegalStateException if not piped */
    public Flow.Publisher<ByteBuffer> stderrPublisher() {
        return pipe(launched.pipes().stderrPublisher(), "stderr", spec.stderr());
    }

    /**
     * Feeds the child's stdin from {@code source}: the next buffer is requested only when the
     * previous one is in the pipe, written by the monitor thread as the child reads. When the
     * source completes, stdin is closed (the child sees end of file).
     *
     * @return the number of bytes written, once stdin is closed; fails with an IOException on
     *     EPIPE (the child closed its stdin) or a full pipe after the child exited, or with the
     *     source's own error
     * @throws IllegalStateException if stdin is not {@link Redirect#PIPE} or is already fed
     */
    public CompletableFuture<Long> stdinFrom(Flow.Publisher<? extends ByteBuffer> source) {
        Objects.requireNonNull(source, "source");
        pipe(launched.pipes().stdin(), "stdin", spec.stdin());
        return launched.pipes().feedStdin(source);
    }

    /** {@link #collect(long)} with a cap of {@value ProcessOutput#DEFAULT_MAX_BYTES} bytes per stream. */
    public CompletableFuture<ProcessOutput> collect() {
        return collect(ProcessOutput.DEFAULT_MAX_BYTES);
    }

    /**
     * Collects stdout and stderr (those that are piped) and the exit status, blocking no thread:
     * the monitor thread reads both pipes as the child writes, keeps up to {@code maxBytesPerStream}
     * of each (the rest is read and dropped, so the child never blocks) and completes the future
     * once the child has exited and both streams have ended (end of file, or the drain timeout
     * after the exit); it fails as soon as either stream fails (e.g. {@link #close()} meanwhile).
     * Call it once, before reading the streams any other way.
     *
     * @throws IllegalArgumentException if {@code maxBytesPerStream} is negative
     */
    public CompletableFuture<ProcessOutput> collect(long maxBytesPerStream) {
        if (maxBytesPerStream < 0) throw new IllegalArgumentException("negative cap: " + maxBytesPerStream);
        long cap = Math.min(maxBytesPerStream, Integer.MAX_VALUE - 8);
        ChildPipes p = launched.pipes();
        CompletableFuture<ChildPipes.Collected> out = p.hasStdout() ? p.collect(true, cap) : NOTHING;
        CompletableFuture<ChildPipes.Collected> err = p.hasStderr() ? p.collect(false, cap) : NOTHING;
        CompletableFuture<ProcessOutput> result = CompletableFuture.allOf(out, err, exit.future).thenApply(v -> {
            ChildPipes.Collected o = out.join();
            ChildPipes.Collected e = err.join();
            return new ProcessOutput(exit.future.join(), o.bytes(), e.bytes(), o.truncated(), e.truncated(), p.cutOff());
        });
        // A stream that fails (closed, a read error) fails the result at once, exit or not.
        out.exceptionally(t -> { result.completeExceptionally(t); return null; });
        err.exceptionally(t -> { result.completeExceptionally(t); return null; });
        return result;
    }

    private static final CompletableFuture<ChildPipes.Collected> NOTHING =
            CompletableFuture.completedFuture(new ChildPipes.Collected(new byte[0], 0, false));

    /**
     * Sets how long after the exit stdout and stderr still take bytes that were not yet in the
     * pipe (what the pipe held at the exit is always given). Default
     * {@link ProcessOutput#DEFAULT_DRAIN_TIMEOUT} (100 ms); effective if set before the exit.
     *
     * @return this handle
     */
    public ChildProcess drainTimeout(Duration timeout) {
        launched.pipes().drainTimeout(Objects.requireNonNull(timeout, "timeout"));
        return this;
    }

    /** The drain timeout in force. */
    public Duration drainTimeout() {
        return launched.pipes().drainTimeout();
    }

    /**
     * True if stdout or stderr ended at the drain deadline rather than at end of file: another
     * process (a grandchild) still held the pipe open, and its later output was not read.
     */
    public boolean outputCutOff() {
        return launched.pipes().cutOff();
    }

    /**
     * Gives each line of stdout to {@code consumer}, on the monitor thread: keep it short and
     * never block in it (use {@link #onStdoutLine(Consumer, Executor)} otherwise). Lines are
     * decoded as UTF-8 (malformed input replaced) and end at {@code '\n'} (a {@code '\r'}
     * before it is dropped); a last line without one is given at the end; a line over
     * 1,048,576 chars comes in pieces. Backpressure holds: the
     * pipe is read only as fast as the consumer takes the lines. Built on
     * {@link #stdoutPublisher()}: use one or the other.
     *
     * @return completes after the last line; fails if the stream fails or the consumer throws
     *     (the pipe is then closed)
     * @throws IllegalStateException if stdout is not {@link Redirect#PIPE}
     */
    public CompletableFuture<Void> onStdoutLine(Consumer<String> consumer) {
        return lines(stdoutPublisher(), consumer, null);
    }

    /**
     * As {@link #onStdoutLine(Consumer)}, the consumer running on {@code executor}: the lines of
     * one read as one task, tasks one after the other and in order; the next read waits for it.
     */
    public CompletableFuture<Void> onStdoutLine(Consumer<String> consumer, Executor executor) {
        return lines(stdoutPublisher(), consumer, Objects.requireNonNull(executor, "executor"));
    }

    /** Each line of stderr, as {@link #onStdoutLine(Consumer)}: on the monitor thread. */
    public CompletableFuture<Void> onStderrLine(Consumer<String> consumer) {
        return lines(stderrPublisher(), consumer, null);
    }

    /** Each line of stderr, as {@link #onStdoutLine(Consumer, Executor)}: on {@code executor}. */
    public CompletableFuture<Void> onStderrLine(Consumer<String> consumer, Executor executor) {
        return lines(stderrPublisher(), consumer, Objects.requireNonNull(executor, "executor"));
    }

    private static CompletableFuture<Void> lines(Flow.Publisher<ByteBuffer> p, Consumer<String> consumer,
            Executor executor) {
        LineSubscriber s = new LineSubscriber(consumer, StandardCharsets.UTF_8, executor);
        p.subscribe(s);
        return s.done();
    }

    /**
     * Kills this child (as {@link #kill()}: its whole cgroup when jailed) when the JVM shuts down
     * while it still runs: one shared shutdown hook, which runs on {@code System.exit}, the end
     * of the last non-daemon thread and SIGINT/SIGTERM/SIGHUP, but not on SIGKILL, a crash or
     * {@code Runtime.halt}. For those, spawn it jailed with
     * {@link JailSpec#parentDeathSignal(Signal)} (Linux): the kernel then signals it when this
     * JVM dies, however it dies.
     *
     * @return this handle
     */
    public ChildProcess killOnJvmExit() {
        JvmExitKill.register(this);
        return this;
    }

    private static <T> T pipe(T stream, String name, Redirect r) {
        if (stream == null) throw new IllegalStateException(name + " is not a pipe but " + r);
        return stream;
    }

    /** Handle mode (signals through a pidfd) rather than pid mode; for tests and diagnostics. */
    boolean handleMode() {
        return registration.hasPidfd();
    }

    /** What contains the child beyond its pid (a jail's cgroup, a tree), or null; for tests. */
    Containment containment() {
        return launched.containment();
    }

    /** The registration with the monitor, for the test bridge (TestAccess) only. */
    Registration registration() {
        return registration;
    }

    /** Package access for the Process view: the pipe or null. */
    OutputStream stdinOrNull() {
        return launched.pipes().stdin();
    }

    InputStream stdoutOrNull() {
        return launched.pipes().stdout();
    }

    InputStream stderrOrNull() {
        return launched.pipes().stderr();
    }

    /**
     * A {@link Process} view of this child, so code written for the JDK works unchanged (one
     * view per child). Its streams are the pipes (or empty streams, as the JDK gives for
     * non-pipe redirects); {@code exitValue()} follows the JDK's Unix convention (128 + signal
     * number for a killed process; -1 if the status is unknown); {@code destroy()} sends
     * SIGTERM; {@code toHandle()}, {@code info()}, {@code children()} and {@code descendants()}
     * describe the live child, and after its exit answer as the JDK's do for an ended process.
     */
    public Process asProcess() {
        return view;
    }

    /**
     * Sets the window size of the child's pseudo-terminal ({@code TIOCSWINSZ} on the master);
     * when it changes, the kernel sends SIGWINCH to the terminal's foreground process group.
     *
     * @return false if there is nothing to resize any more: the child has exited, or this handle is closed
     * @throws IllegalStateException if the child was not given a pseudo-terminal ({@link ProcessSpec#pty})
     * @throws UncheckedIOException if the ioctl fails (the message names the errno)
     */
    public boolean resize(TerminalSize size) {
        Objects.requireNonNull(size, "size");
        try {
            return pty().resize(size.rows(), size.columns());
        } catch (SyscallException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The current window size of the child's pseudo-terminal (it may have been changed from the
     * child's side too); empty once the child has exited or this handle is closed.
     *
     * @throws IllegalStateException if the child was not given a pseudo-terminal
     */
    public Optional<TerminalSize> terminalSize() {
        try {
            int[] rc = pty().size();
            return rc == null ? Optional.empty() : Optional.of(new TerminalSize(rc[1], rc[0]));
        } catch (SyscallException e) {
            throw new UncheckedIOException(e);
        }
    }

    private io.procwarden.internal.io.PtyMaster pty() {
        if (launched.pty() == null) {
            throw new IllegalStateException("pid " + pid() + " has no pseudo-terminal; spawn it with ProcessSpec.pty(size)");
        }
        return launched.pty();
    }

    /** Closes our ends of the pipes (and of the pseudo-terminal). Does not kill or wait; idempotent. */
    @Override
    public void close() {
        launched.pipes().close();
        if (launched.pty() != null) launched.pty().close();
    }

    @Override
    public String toString() {
        return "ChildProcess[pid " + pid() + ", " + spec.command() + ", "
                + (exit.future.isDone() ? String.valueOf(exit.future.getNow(null)) : "running") + "]";
    }
}
