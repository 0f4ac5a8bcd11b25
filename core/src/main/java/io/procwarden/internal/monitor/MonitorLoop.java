package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.io.PipeHub;
import io.procwarden.internal.sys.ProcStat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The one thread that serves every watched process of a monitor: the thread, the maps and the
 * command queue. Everything else has its own file: the mechanism ({@link ExitSource}), one
 * watched process ({@link Registration}, with the one {@code end()}), a caller that reaps its
 * own child ({@link CallerReap}), and closing with the hand-off of running children
 * ({@link LoopShutdown}).
 *
 * <p>Registration happens on the caller's thread (so EMFILE or EPERM reach the caller), under
 * {@link #lock}, which also makes watchers of the same pid share one registration. The loop
 * thread waits on the source, which reports ready keys; {@link #onReady} dispatches a key to
 * what it stands for: an exit registration, or a pipe end ({@link PipeHub}, which also owns
 * the drain timers that bound the wait).
 *
 * <p>Two maps: {@link #byPid} holds the registrations that are not ended (so new watchers
 * join them); {@link #byKey} holds those that still hold something (a pidfd, a place in the
 * epoll set). Whoever removes a registration from {@code byKey} releases it, so that happens
 * exactly once: on the loop thread ({@link #release}), or in a caller that reaped the child
 * itself ({@link #completeDetached}); {@link Fd}'s reference count makes closing its pidfd
 * safe against a loop still holding it.
 */
public final class MonitorLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MonitorLoop.class.getName());
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ExitSource source;
    private final PipeHub pipes;
    private final Thread thread;
    private final Object lock = new Object();
    private final Map<Integer, Registration> byPid = new HashMap<>(); // guarded by lock
    private final Map<Long, Registration> byKey = new ConcurrentHashMap<>();
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final AtomicLong keys = new AtomicLong();
    private volatile boolean closing; // written under lock
    private volatile Supplier<MonitorLoop> successor; // written under lock, before closing

    private MonitorLoop(ExitSource source) {
        this.source = source;
        this.pipes = new PipeHub(source.pipeReadiness(), source::wakeup);
        this.thread = new Thread(this::run, "procwarden-monitor-" + THREADS.incrementAndGet() + "-" + source.backend().id());
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts a loop on the given backend (the caller checked that it is available). */
    public static MonitorLoop start(ExitBackend backend) throws SyscallException {
        ExitSource source = switch (backend) {
            case PIDFD -> new PidfdExitSource();
            case KQUEUE -> new KqueueExitSource();
            case POLLING -> PollingExitSource.withConfiguredInterval();
        };
        return new MonitorLoop(source);
    }

    public ExitBackend backend() {
        return source.backend();
    }

    /** The pipe ends served by this loop (children's stdio). */
    public PipeHub pipes() {
        return pipes;
    }

    /** Number of processes being watched right now. */
    public int watchedCount() {
        return byKey.size();
    }

    /**
     * Watches {@code pid}: the listener is called once when it ends (at once, on this thread,
     * if the outcome is already known).
     *
     * @param expectedStartTime the {@code /proc} start time the caller recorded, or -1; if the
     *     pid now belongs to a process with another start time it is reported as no such process
     * @return the registration (for {@link #unwatch}); null when the listener was already called
     */
    public Registration watch(int pid, long expectedStartTime, ExitListener listener) throws SyscallException {
        Wait.Reaped immediate;
        Registration r = null;
        synchronized (lock) {
            ensureOpen();
            Registration shared = byPid.get(pid); // in byPid: not ended
            if (shared != null && expectedStartTime >= 0 && !startTimeMatches(pid, expectedStartTime)) {
                immediate = ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS);
            } else if (shared != null && shared.addListener(listener)) {
                return shared;
            } else {
                ExitSource.Opened opened = source.open(pid, keys.incrementAndGet());
                if (opened instanceof ExitSource.Ended ended) {
                    immediate = ended.outcome();
                } else {
                    // Checked after opening: a pidfd pins the instance it was opened on.
                    Registration fresh = ((ExitSource.Live) opened).registration();
                    boolean same;
                    try {
                        same = expectedStartTime < 0 || startTimeMatches(pid, expectedStartTime);
                    } catch (RuntimeException e) {
                        discard(fresh);
                        throw e;
                    }
                    if (!same) {
                        discard(fresh);
                        immediate = ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS);
                    } else {
                        r = fresh;
                        r.addListener(listener);
                        immediate = insert(r);
                    }
                }
            }
        }
        if (immediate == null) return r;
        if (r != null) {
            complete(r, immediate, null);
        } else {
            Ending.of(listener, immediate).tell();
        }
        return null;
    }

    /**
     * Registers a child we just spawned. It stays registered until reaped, whether or not
     * anyone listens, so it never becomes a lasting zombie.
     *
     * @param pidfd the child's pidfd, owned by the registration from now on; may be null for
     *     backends that work by pid
     */
    public Registration registerChild(int pid, Fd pidfd, ExitListener listener) throws SyscallException {
        Wait.Reaped immediate;
        Registration r;
        synchronized (lock) {
            if (closing) {
                if (pidfd != null) pidfd.close();
                throw new IllegalStateException("ProcessMonitor is closed; cannot watch child " + pid);
            }
            r = source.adoptChild(pid, pidfd, keys.incrementAndGet());
            if (listener != null) r.addListener(listener);
            immediate = insert(r);
        }
        if (immediate != null) {
            complete(r, immediate, null);
        }
        return r;
    }

    /** Under lock: puts a new registration in the maps and arms it; returns an outcome found while arming. */
    private Wait.Reaped insert(Registration r) throws SyscallException {
        byPid.put(r.pid, r);
        byKey.put(r.key, r);
        try {
            return r.arm(source);
        } catch (SyscallException | RuntimeException e) {
            byPid.remove(r.pid, r);
            byKey.remove(r.key, r);
            r.end(null, e); // its listener is not told: the caller gets the exception instead
            discard(r);
            throw e;
        }
    }

    /** Closes what a registration that never got into the kernel set holds, on the calling thread. */
    private static void discard(Registration r) {
        if (r.pidfd != null) r.pidfd.close();
    }

    /**
     * Removes one listener. A non-child with no listeners left stops being watched; a child
     * stays registered until reaped.
     */
    public void unwatch(Registration r, ExitListener listener) {
        synchronized (lock) {
            if (!r.unwatch(listener)) return;
            byPid.remove(r.pid, r);
        }
        releaseSoon(r);
    }

    /**
     * Runs an action on the loop thread, after the commands queued before it. The loop's one
     * hook: the tests hold the loop still with it, or wait until it has drained its queue.
     *
     * @throws IllegalStateException if the monitor is closed
     */
    public void runOnLoop(Runnable action) {
        synchronized (lock) {
            ensureOpen();
            commands.add(action);
        }
        source.wakeup();
    }

    /**
     * Throws if the loop is closed (or closing). A cheap early check for callers about to do
     * costly work for a registration (a spawn); {@link #registerChild} checks again under the lock.
     *
     * @throws IllegalStateException if the monitor is closed
     */
    public void ensureOpen() {
        if (closing) throw new IllegalStateException("ProcessMonitor is closed");
    }

    /**
     * Waits for a child in the calling thread, which reaps it if it gets there first
     * ({@link CallerReap} says why and when this does not apply). Returns once the child was
     * reaped (here or by the loop), once {@code timeoutNanos} have passed (-1: no limit), or at
     * once where it does not apply. The caller then reads, or waits for, {@code completion} as
     * usual: this is only a faster way to the same outcome.
     *
     * @param completion completed (by the listeners) when the registration ends; if it is done
     *     already there is nothing to wait for
     * @throws InterruptedException if this thread is interrupted while it waits
     */
    public void awaitInCaller(Registration r, long timeoutNanos, CompletableFuture<?> completion) throws InterruptedException {
        CallerReap.await(this, r, timeoutNanos, completion);
    }

    private static boolean startTimeMatches(int pid, long expected) {
        return ProcStat.read(pid).map(s -> s.startTime() == expected).orElse(false);
    }

    private void run() {
        Throwable fatal = null;
        try {
            while (!closing) {
                runCommands();
                source.await(pipes.nextTimeoutNanos(), this::onReady);
                pipes.runDueTimers();
            }
        } catch (Throwable t) {
            fatal = t;
            LOG.log(System.Logger.Level.ERROR, "process monitor loop failed; failing every watch", t);
        } finally {
            shutdown(fatal);
        }
    }

    /** Loop thread, last: no registration can arrive any more; end every one still held. */
    private void shutdown(Throwable fatal) {
        synchronized (lock) {
            closing = true;
            byPid.clear();
        }
        try {
            runCommands();
            LoopShutdown.endAll(this, List.copyOf(byKey.values()), fatal, successor);
        } finally {
            pipes.shutdown(); // before the epoll set goes: pipe waiters fall back to poll(2)
            source.close();
        }
    }

    private void runCommands() {
        Runnable c;
        while ((c = commands.poll()) != null) {
            try {
                c.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "monitor command failed", e);
            }
        }
    }

    /** Loop thread: the source reported {@code key} ready. */
    private void onReady(long key) {
        if (PipeHub.isPipeKey(key)) {
            pipes.ready(key);
            return;
        }
        Registration r = byKey.get(key);
        if (r == null) return; // released earlier in this batch
        // Collected even when it has ended (unwatched, failed): the source learns its filter
        // fired, and a child is still reaped; complete() then only releases it.
        Wait.Reaped outcome;
        try {
            outcome = source.collect(r);
        } catch (SyscallException | RuntimeException e) {
            complete(r, null, e);
            return;
        }
        if (outcome != null) {
            complete(r, outcome, null);
        }
    }

    /**
     * Ends a registration with its outcome (or why watching failed): forgets it, releases it
     * (at once on the loop thread, else soon), then tells its listeners. Released before they
     * are told, where it can be: whoever learns of the exit on the loop thread finds the
     * registration gone and its descriptor closed (tests and fd accounting rely on it).
     */
    void complete(Registration r, Wait.Reaped outcome, Throwable failure) {
        Ending ending = forgetAndEnd(r, outcome, failure);
        releaseSoon(r);
        ending.tell();
    }

    /** A caller reaped a detached child ({@link CallerReap}): ends and releases it on that thread. */
    void completeDetached(Registration r, Wait.Reaped outcome) {
        Ending ending = forgetAndEnd(r, outcome, null);
        // Out of the epoll set already: closing the pidfd is all a release does.
        if (byKey.remove(r.key, r)) r.pidfd.close();
        ending.tell();
    }

    private Ending forgetAndEnd(Registration r, Wait.Reaped outcome, Throwable failure) {
        synchronized (lock) {
            byPid.remove(r.pid, r);
            return r.end(outcome, failure);
        }
    }

    /** Releases on the loop thread: now if this is it, else by a command (or by the shutdown). */
    private void releaseSoon(Registration r) {
        if (Thread.currentThread() == thread) {
            release(r);
            return;
        }
        synchronized (lock) {
            if (closing) return; // the shutdown releases whatever is still in byKey
            commands.add(() -> release(r));
        }
        source.wakeup();
    }

    /** Loop thread: releases what the registration holds, unless someone else took it out of byKey first. */
    void release(Registration r) {
        if (!byKey.remove(r.key, r)) return;
        source.disarm(r);
        if (r.pidfd != null) r.pidfd.close();
    }

    /** Loop thread, shutting down: takes a registration out of byKey; false if someone else did. */
    boolean take(Registration r) {
        return byKey.remove(r.key, r);
    }

    ExitSource source() {
        return source;
    }

    boolean isLoopThread(Thread t) {
        return t == thread;
    }

    boolean isClosing() {
        return closing;
    }

    /** Stops the loop; pending watches fail with IllegalStateException. Waits for the thread. */
    @Override
    public void close() {
        close(null);
    }

    /**
     * Stops the loop; pending watches fail with IllegalStateException; children not yet reaped
     * go to the loop {@code successor} gives (when not null) instead of being abandoned, so
     * that they are still reaped ({@link LoopShutdown}). Waits for the thread.
     */
    public void close(Supplier<MonitorLoop> successor) {
        synchronized (lock) {
            if (!closing) this.successor = successor;
            closing = true; // a second close also waits for the thread below
        }
        source.wakeup();
        if (Thread.currentThread() != thread) {
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
