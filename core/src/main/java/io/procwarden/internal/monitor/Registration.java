package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Wait;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One watched process instance: everyone watching the same pid shares it (one pidfd, one
 * epoll or kqueue registration), and it ends when that process ends.
 */
public final class Registration {
    /** Identifies the registration in epoll data / kevent udata; 0 is the wake-up. */
    final long key;
    final int pid;
    /** Our child: we reap it, and it stays registered until reaped even if nobody listens. */
    final boolean child;
    /** The pidfd (pidfd backend), owned by this registration; null for the other backends. */
    final Fd pidfd;
    /** /proc start time for non-children on Linux (reuse guard of the polling backend); -1 if unknown. */
    final long startTime;

    // Guarded by MonitorLoop.lock.
    final List<ExitListener> listeners = new ArrayList<>(1);
    boolean finished;

    /** Set by the loop thread when it disarms; by a caller that reaped the child itself ({@link CallerReap}). */
    volatile boolean disarmed;
    /** One caller at a time may wait on the pidfd itself ({@link CallerReap}). */
    final AtomicBoolean callerWaiting = new AtomicBoolean();
    /** That caller's wait, to be woken by whoever else ends the registration. */
    volatile CallerReap callerWait;

    // Loop thread only.
    /** The polling and kqueue backends find the outcome while checking; collect() hands it over. */
    Wait.Reaped outcome;

    /** Guarded by synchronized(this): set once the child is reaped, after which its pid may be reused. */
    private boolean reaped;

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

    public boolean isChild() {
        return child;
    }

    /**
     * Runs {@code reap} unless the child was already reaped, and records a successful reap; runs
     * under this registration's lock, which {@link #whileUnreaped} also takes, so that a pid is
     * never signalled after it was reaped (and could have been reused).
     */
    synchronized Wait.Reaped reapOnce(ReapCall reap) throws io.procwarden.SyscallException {
        if (reaped) {
            return null;
        }
        Wait.Reaped r = reap.call();
        if (r != null) {
            reaped = true;
        }
        return r;
    }

    /**
     * Marks the child as reaped by someone else (ECHILD), or handed to another monitor that will
     * reap it: its pid must not be used through this registration again.
     *
     * @return false if it was marked reaped already
     */
    synchronized boolean markReaped() {
        boolean was = reaped;
        reaped = true;
        return !was;
    }

    /** Runs {@code action} only while the child is unreaped; returns false if it was reaped. */
    public synchronized boolean whileUnreaped(PidAction action) throws io.procwarden.SyscallException {
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
                return false; // the loop closes the pidfd after reaping
            }
        }
        return whileUnreaped(p -> Signals.kill(p, signal));
    }

    /**
     * Sends a signal to the process group this child leads ({@code kill(-pid)}), only while the
     * leader is unreaped: until then its pid, hence the group id, cannot be reused.
     *
     * @return false if the leader was already reaped, or the group has no member left
     */
    public boolean signalGroup(int signal) throws SyscallException {
        return whileUnreaped(p -> Signals.kill(-p, signal));
    }

    /** A reaping call. */
    @FunctionalInterface
    interface ReapCall {
        Wait.Reaped call() throws io.procwarden.SyscallException;
    }

    /** An action on a pid that must not run once the pid may have been reused. */
    @FunctionalInterface
    public interface PidAction {
        boolean run(int pid) throws io.procwarden.SyscallException;
    }

    @Override
    public String toString() {
        return "Registration[pid " + pid + (child ? ", child" : "") + "]";
    }
}
