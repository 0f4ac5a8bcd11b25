package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Wait;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one thread that serves every watched process of a monitor.
 *
 * <p>Registration happens on the caller's thread (so EMFILE or EPERM reach the caller), under
 * {@link #lock}, which also makes watchers of the same pid share one registration. The loop
 * thread only waits on the {@link ExitSource}, collects outcomes (reaping our children),
 * releases registrations and calls listeners. Descriptors are released on the loop thread, with
 * one exception: a platform thread in {@code waitFor()} may take a child off the loop, wait on its
 * pidfd and reap it itself ({@link #awaitInCaller}, {@link CallerReap}); it closes that pidfd,
 * which {@link Fd}'s reference count makes safe against a loop still holding it.
 */
public final class MonitorLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MonitorLoop.class.getName());
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ExitSource source;
    private final Thread thread;
    private final Object lock = new Object();
    private final Map<Integer, Registration> byPid = new HashMap<>(); // guarded by lock
    private final Map<Long, Registration> byKey = new ConcurrentHashMap<>();
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final AtomicLong keys = new AtomicLong();
    private volatile boolean closing; // written under lock

    private MonitorLoop(ExitSource source) {
        this.source = source;
        this.thread = new Thread(this::run, "procwarden-monitor-" + THREADS.incrementAndGet() + "-" + source.backend().id());
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts a loop on the given backend. */
    public static MonitorLoop start(MonitorBackend backend) throws SyscallException {
        ExitSource source = switch (backend) {
            case PIDFD -> new PidfdExitSource();
            case KQUEUE -> new KqueueExitSource();
            case POLLING -> new PollingExitSource(Long.getLong("procwarden.polling.intervalMillis",
                    PollingExitSource.DEFAULT_INTERVAL_MILLIS));
        };
        return new MonitorLoop(source);
    }

    public MonitorBackend backend() {
        return source.backend();
    }

    /** The loop's thread (for diagnostics and tests). */
    public Thread thread() {
        return thread;
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
        Registration r;
        synchronized (lock) {
            ensureOpen();
            r = byPid.get(pid);
            if (r != null) {
                if (expectedStartTime >= 0 && !startTimeMatches(pid, expectedStartTime)) {
                    immediate = PidProbe.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS);
                    r = null;
                } else {
                    r.listeners.add(listener);
                    return r;
                }
            } else {
                ExitSource.Opened opened = source.open(pid, keys.incrementAndGet());
                if (opened instanceof ExitSource.Ended ended) {
                    immediate = ended.outcome();
                } else {
                    r = ((ExitSource.Live) opened).registration();
                    if (expectedStartTime >= 0 && !startTimeMatches(pid, expectedStartTime)) {
                        closeUnarmed(r);
                        immediate = PidProbe.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS);
                        r = null;
                    } else {
                        r.listeners.add(listener);
                        immediate = insert(r);
                    }
                }
            }
        }
        if (immediate != null) {
            if (r != null) {
                finish(r, immediate, null);
            } else {
                notify(listener, immediate, null);
            }
            return null;
        }
        return r;
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
            if (listener != null) r.listeners.add(listener);
            immediate = insert(r);
        }
        if (immediate != null) {
            finish(r, immediate, null);
        }
        return r;
    }

    /** Puts a new registration in the maps and arms it; returns an outcome found while arming. */
    private Wait.Reaped insert(Registration r) throws SyscallException {
        byPid.put(r.pid, r);
        byKey.put(r.key, r);
        try {
            return source.arm(r);
        } catch (SyscallException | RuntimeException e) {
            byPid.remove(r.pid, r);
            byKey.remove(r.key);
            r.finished = true;
            closeUnarmed(r);
            throw e;
        }
    }

    /** Closes what an unarmed (or failed) registration holds, on the calling thread. */
    private static void closeUnarmed(Registration r) {
        r.disarmed = true;
        if (r.pidfd != null) r.pidfd.close();
    }

    /** Loop thread: forgets a finished registration and releases its descriptor. */
    private void retire(Registration r) {
        byKey.remove(r.key);
        source.disarm(r);
        if (r.pidfd != null) r.pidfd.close();
    }

    /**
     * Removes one listener. A non-child with no listeners left stops being watched; a child
     * stays registered until reaped.
     */
    public void unwatch(Registration r, ExitListener listener) {
        synchronized (lock) {
            if (r.finished || !r.listeners.remove(listener)) return;
            if (!r.listeners.isEmpty() || r.child) return;
            r.finished = true;
            byPid.remove(r.pid, r);
            if (closing) return;
        }
        commands.add(() -> retire(r));
        source.wakeup();
    }

    /** Runs an action on the loop thread (tests use it to hold the loop still). */
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

    private static boolean startTimeMatches(int pid, long expected) {
        return ProcStat.read(pid).map(s -> s.startTime() == expected).orElse(false);
    }

    private void run() {
        Throwable fatal = null;
        try {
            while (!closing) {
                runCommands();
                source.await(this::onReady);
            }
        } catch (Throwable t) {
            fatal = t;
            LOG.log(System.Logger.Level.ERROR, "process monitor loop failed; failing every watch", t);
        } finally {
            shutdown(fatal);
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

    private void onReady(long key) {
        Registration r = byKey.get(key);
        if (r == null) return; // released earlier in this batch
        Wait.Reaped outcome;
        try {
            outcome = source.collect(r);
        } catch (SyscallException | RuntimeException e) {
            finish(r, null, e);
            return;
        }
        if (outcome != null) {
            finish(r, outcome, null);
        }
    }

    /** Ends a registration once: removes it, releases it (on the loop thread), tells its listeners. */
    private void finish(Registration r, Wait.Reaped outcome, Throwable error) {
        List<ExitListener> listeners;
        synchronized (lock) {
            if (r.finished && r.listeners.isEmpty()) {
                listeners = List.of();
            } else {
                listeners = new ArrayList<>(r.listeners);
                r.listeners.clear();
            }
            r.finished = true;
            byPid.remove(r.pid, r);
        }
        // Retired before the listeners are told: whoever learns of the exit finds the registration
        // gone and its descriptor closed (tests and fd accounting rely on it).
        if (Thread.currentThread() == thread) {
            retire(r);
        } else {
            commands.add(() -> retire(r));
            source.wakeup();
        }
        for (ExitListener l : listeners) {
            if (error != null) {
                fail(l, error);
            } else {
                notify(l, outcome, r);
            }
        }
        wakeCaller(r);
    }

    /** Ends the wait of a caller blocked on this registration's pidfd, if any (see awaitInCaller). */
    private static void wakeCaller(Registration r) {
        CallerReap w = r.callerWait;
        if (w != null) w.wakeUp();
    }

    private static void notify(ExitListener l, Wait.Reaped outcome, Registration r) {
        try {
            l.onExit(outcome.status(), outcome.usage());
        } catch (Throwable t) {
            // A throwing listener must not stop the loop or keep others from being told.
            LOG.log(System.Logger.Level.WARNING, "exit listener for " + (r != null ? r : "a process") + " threw", t);
        }
    }

    private static void fail(ExitListener l, Throwable error) {
        try {
            l.onFailure(error);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "exit listener threw on failure", t);
        }
    }

    /**
     * Waits for a child in the calling thread, which reaps it if it gets there first
     * ({@link CallerReap} says why). Returns once the child was reaped (here or by the loop),
     * once {@code timeoutNanos} have passed (-1: no limit), or at once where this does not apply:
     * a virtual thread (it must not block its carrier), the loop thread, a second concurrent
     * caller, a backend without pidfds, a closing monitor. The caller then reads, or waits for,
     * {@code completion} as usual: this is only a faster way to the same outcome.
     *
     * @param completion completed (by the listeners) when the registration ends; if it is done
     *     already there is nothing to wait for
     * @throws InterruptedException if this thread is interrupted while it waits
     */
    public void awaitInCaller(Registration r, long timeoutNanos, CompletableFuture<?> completion) throws InterruptedException {
        Thread me = Thread.currentThread();
        if (timeoutNanos == 0 || me.isVirtual() || me == thread) return;
        if (!r.child || r.pidfd == null || completion.isDone()) return;
        if (!r.callerWaiting.compareAndSet(false, true)) return;
        try (CallerReap wait = CallerReap.open()) {
            // Published before the check below: whoever ends the registration from now on
            // (finish, shutdown) wakes this wait (one field, not a dependent per call on the future).
            r.callerWait = wait;
            synchronized (lock) {
                if (r.finished || closing || !source.detachForCaller(r)) return;
            }
            boolean reaped = false;
            try {
                if (wait.awaitExit(r.pidfd, timeoutNanos)) {
                    reaped = reapInCaller(r);
                }
            } finally {
                if (!reaped) rearm(r);
            }
        } catch (IOException e) {
            // EMFILE for the eventfd and the like: the loop still watches the child (re-armed
            // above), so the caller's ordinary wait for the future is the fallback.
            LOG.log(System.Logger.Level.DEBUG, "waiting in the caller failed; waiting for the monitor", e);
        } finally {
            r.callerWait = null;
            r.callerWaiting.set(false);
        }
    }

    /** After the pidfd turned readable: reaps (unless the loop did), and ends the registration here. */
    private boolean reapInCaller(Registration r) {
        Wait.Reaped outcome;
        try {
            outcome = source.collect(r);
        } catch (SyscallException | RuntimeException e) {
            finish(r, null, e); // as the loop would: the waiters learn why
            return true;
        }
        if (outcome == null) return false; // the loop reaped it first and is finishing it
        List<ExitListener> listeners;
        synchronized (lock) {
            listeners = new ArrayList<>(r.listeners);
            r.listeners.clear();
            r.finished = true;
            byPid.remove(r.pid, r);
            byKey.remove(r.key);
        }
        // Detached from epoll already; closing the pidfd is all that retire() would do.
        r.disarmed = true;
        r.pidfd.close();
        for (ExitListener l : listeners) notify(l, outcome, r);
        return true;
    }

    /** Gives a registration back to the loop after a caller stopped waiting on it itself. */
    private void rearm(Registration r) {
        Exception failure;
        synchronized (lock) {
            if (r.finished || closing) return; // ended meanwhile, or shutdown() deals with it
            try {
                source.arm(r); // level-triggered: an exit in the meantime is reported at once
                return;
            } catch (SyscallException | RuntimeException e) {
                failure = e;
            }
        }
        // Unwatched, it would never be reaped: tell its waiters why, as the loop does on failures.
        finish(r, null, failure);
    }

    /** Receives a child that is still running when its loop closes, so that it is still reaped. */
    @FunctionalInterface
    public interface ChildHandoff {
        /** Takes over the child; owns {@code pidfd} (may be null) from now on. */
        void adopt(int pid, Fd pidfd) throws SyscallException;
    }

    private volatile ChildHandoff handoff;

    /** Stops the loop; pending watches fail with IllegalStateException. Waits for the thread. */
    @Override
    public void close() {
        close(null);
    }

    /**
     * Stops the loop; pending watches fail with IllegalStateException; children not yet reaped
     * go to {@code handoff} (when not null) instead of being abandoned. Waits for the thread.
     */
    public void close(ChildHandoff handoff) {
        synchronized (lock) {
            if (!closing) this.handoff = handoff;
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

    private void shutdown(Throwable fatal) {
        List<Registration> all;
        synchronized (lock) {
            closing = true;
            all = new ArrayList<>(byKey.values());
            byPid.clear();
        }
        runCommands();
        ChildHandoff successor = handoff;
        for (Registration r : all) {
            if (r.child && successor != null && !r.disarmed) {
                byKey.remove(r.key);
                source.disarm(r);
                // The successor reaps it from now on, without telling this registration: pid-mode
                // signals through it (Registration.whileUnreaped) must stop before that can happen.
                if (!r.markReaped()) {
                    retire(r); // a caller reaped it meanwhile (awaitInCaller)
                    continue;
                }
                try {
                    successor.adopt(r.pid, r.pidfd); // the pidfd now belongs to the successor
                } catch (SyscallException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "could not hand child " + r.pid + " over; it will not be reaped", e);
                }
            } else {
                retire(r);
            }
            Throwable error = fatal != null
                    ? new IllegalStateException("process monitor failed while watching pid " + r.pid, fatal)
                    : new IllegalStateException("ProcessMonitor closed while watching pid " + r.pid);
            List<ExitListener> listeners;
            synchronized (lock) {
                listeners = new ArrayList<>(r.listeners);
                r.listeners.clear();
                r.finished = true;
            }
            for (ExitListener l : listeners) {
                fail(l, error);
            }
            wakeCaller(r);
        }
        source.close();
    }
}
