package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Wait;
import java.util.ArrayList;
import java.util.List;

/**
 * One watched process instance: everyone watching the same pid shares it (one pidfd, one
 * epoll or kqueue registration), and it ends when that process ends.
 *
 * <p>A small state machine, guarded by this object's lock (the only lock it has):
 * <pre>
 *   NEW --arm--> ARMED --detachForCaller--> DETACHED_FOR_CALLER --rearm--> ARMED
 *   any --end--> ENDED (once; end() hands the listeners to exactly one caller)
 * </pre>
 * ARMED: the loop's {@link ExitSource} reports the exit. DETACHED_FOR_CALLER: a thread in
 * {@code waitFor()} waits on the pidfd itself ({@link CallerReap}) and is woken by whoever
 * else ends the registration. The same lock makes reaping and pid-mode signalling exclusive,
 * so a pid is never signalled after it was reaped (and could have been reused).
 *
 * <p>What the registration holds (its pidfd, its place in the epoll set) is released apart
 * from ending it, by whoever takes it out of the loop's key map ({@link MonitorLoop}).
 */
public final class Registration {
    enum State { NEW, ARMED, DETACHED_FOR_CALLER, ENDED }

    /** Identifies the registration in epoll data / kevent udata; 0 is the wake-up. */
    final long key;
    final int pid;
    /**
     * Ours: spawned by us ({@link MonitorLoop#registerChild}) or handed to us
     * ({@link MonitorLoop#adoptChild}). We reap it, and it stays registered until reaped even if
     * nobody listens. A process merely watched ({@link MonitorLoop#watch}) is never ours, even a
     * child of this JVM (the JDK's, another library's): it is observed, never reaped.
     */
    final boolean child;
    /** The pidfd (pidfd backend), owned by this registration; null for the other backends. */
    final Fd pidfd;
    /** /proc start time for non-children on Linux (reuse guard of the polling backend); -1 if unknown. */
    final long startTime;

    // Guarded by this.
    private State state = State.NEW;
    private final List<ExitListener> listeners = new ArrayList<>(1);
    /** Set once the child is reaped (or handed to another loop), after which its pid may be reused. */
    private boolean reaped;
    /** The caller waiting on the pidfd in DETACHED_FOR_CALLER, to be woken when someone else ends it. */
    private CallerReap callerWait;

    Registration(long key, int pid, boolean child, Fd pidfd, long startTime) {
        this.key = key;
        this.pid = pid;
        this.child = child;
        this.pidfd = pidfd;
        this.startTime = startTime;
    }

    public int pid() {
        return pid;
    }

    /** Adds a listener; false if the registration has ended (the listener was not added). */
    synchronized boolean addListener(ExitListener listener) {
        if (state == State.ENDED) return false;
        listeners.add(listener);
        return true;
    }

    /**
     * Removes a listener; a non-child left with none ends here (nobody wants to know any more).
     * A child stays until reaped.
     *
     * @return true if this ended the registration
     */
    synchronized boolean unwatch(ExitListener listener) {
        if (state == State.ENDED || !listeners.remove(listener) || !listeners.isEmpty() || child) return false;
        end(null, null);
        return true;
    }

    /**
     * Hands the registration to the source: NEW or DETACHED_FOR_CALLER becomes ARMED. Nothing
     * happens once it has ended.
     *
     * @return an outcome found while arming (kqueue's ESRCH), else null
     */
    synchronized Wait.Reaped arm(ExitSource source) throws SyscallException {
        if (state == State.ENDED) return null;
        Wait.Reaped found = source.arm(this);
        state = State.ARMED;
        callerWait = null;
        return found;
    }

    /**
     * ARMED becomes DETACHED_FOR_CALLER: the source stops reporting it, and {@code wait} is woken
     * if anyone else ends it. False (nothing changed) if it is not ARMED (ended, or another caller
     * waits already) or the source cannot hand processes to callers.
     */
    synchronized boolean detachForCaller(ExitSource source, CallerReap wait) throws SyscallException {
        if (state != State.ARMED || !source.detachForCaller(this)) return false;
        state = State.DETACHED_FOR_CALLER;
        callerWait = wait;
        return true;
    }

    /**
     * Ends the registration: the first call gets the listeners to tell (and wakes a caller
     * waiting on the pidfd); every later call gets none. The one way a registration ends.
     */
    synchronized Ending end(Wait.Reaped outcome, Throwable failure) {
        if (state == State.ENDED) return new Ending(this, List.of(), outcome, failure);
        state = State.ENDED;
        List<ExitListener> told = List.copyOf(listeners);
        listeners.clear();
        if (callerWait != null) {
            callerWait.wakeUp();
            callerWait = null;
        }
        return new Ending(this, told, outcome, failure);
    }

    /**
     * Reaps our child through {@code reap} unless it was reaped already (then null). The one
     * place where ECHILD for a registered child becomes {@link ExitStatus.UnknownReason#ALREADY_REAPED}:
     * someone else (a stray {@code waitpid}) reaped it first. Never an error.
     */
    synchronized Wait.Reaped reap(ReapCall reap) throws SyscallException {
        if (reaped) return null;
        try {
            Wait.Reaped r = reap.call();
            if (r != null) {
                reaped = true;
                ReapedChildren.record(pid, r);
            }
            return r;
        } catch (SyscallException e) {
            if (e.errno() != Errno.ECHILD) throw e;
            reaped = true;
            return ExitSource.unknown(ExitStatus.UnknownReason.ALREADY_REAPED);
        }
    }

    /**
     * Marks the child as handed to another loop, which reaps it from now on: its pid must not be
     * used through this registration again.
     *
     * @return false if it was reaped already (nothing to hand over)
     */
    synchronized boolean markHandedOff() {
        boolean was = reaped;
        reaped = true;
        return !was;
    }

    /** Runs {@code action} only while the child is unreaped; returns false if it was reaped. */
    public synchronized boolean whileUnreaped(PidAction action) throws SyscallException {
        if (reaped) {
            return false;
        }
        return action.run(pid);
    }

    /** True in handle mode: signals go through the pidfd. False in pid mode (kill under {@link #whileUnreaped}). */
    public boolean hasPidfd() {
        return pidfd != null;
    }

    /**
     * Sends a signal to this (child) process without ever hitting a recycled pid: through the
     * pidfd when there is one (handle mode), else by pid while the child is unreaped (pid mode).
     *
     * @return false if the process is already gone (reaped, or the kernel reports ESRCH)
     * @throws SyscallException any other failure (EPERM, EINVAL)
     */
    public boolean signal(int signal) throws SyscallException {
        if (pidfd != null) {
            try {
                return Pidfd.sendSignal(pidfd, signal);
            } catch (IllegalStateException closed) {
                return false; // the pidfd is closed after reaping
            }
        }
        return whileUnreaped(p -> Signals.kill(p, signal));
    }

    /**
     * Sends a signal to the process group this child leads. With a pidfd on Linux 6.9+ it goes
     * through {@code pidfd_send_signal(PIDFD_SIGNAL_PROCESS_GROUP)}: the group of the pinned pid,
     * never a recycled group id. Otherwise {@code kill(-pid)}, only while the leader is unreaped:
     * until then its pid, hence the group id, cannot be reused.
     *
     * @return false if the leader was already reaped (its pidfd closed), or the group has no member left
     */
    public boolean signalGroup(int signal) throws SyscallException {
        if (pidfd != null && Pidfd.hasProcessGroupFlag()) {
            try {
                return Pidfd.sendSignal(pidfd, signal, Pidfd.PIDFD_SIGNAL_PROCESS_GROUP);
            } catch (IllegalStateException closed) {
                return false; // the pidfd is closed after reaping
            }
        }
        return whileUnreaped(p -> Signals.kill(-p, signal));
    }

    /** A reaping call. */
    @FunctionalInterface
    interface ReapCall {
        Wait.Reaped call() throws SyscallException;
    }

    /** An action on a pid that must not run once the pid may have been reused. */
    @FunctionalInterface
    public interface PidAction {
        boolean run(int pid) throws SyscallException;
    }

    @Override
    public synchronized String toString() {
        // The state is for diagnostics (and lets a test see that a caller waits on the pidfd).
        return "Registration[pid " + pid + (child ? ", child" : "") + ", " + state + "]";
    }
}
