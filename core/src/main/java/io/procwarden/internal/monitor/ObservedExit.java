package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.PidfdInfo;
import io.procwarden.internal.ffi.Wait;
import java.util.Optional;

/**
 * How a process that is not ours ended, learnt without ever reaping it: the one place that
 * decides, for the pidfd and polling backends, once such a process is seen dead.
 *
 * <ol>
 *   <li>A child of this JVM not yet reaped by its owner (the JDK's reaper, another library):
 *       {@code waitid(WNOHANG | WNOWAIT)} reads its exact status and leaves it reapable, so the
 *       owner's {@code waitFor()} still gets it.
 *   <li>Already reaped, by anyone: {@code PIDFD_INFO_EXIT} (Linux 6.15, {@link ExitInfoProbe})
 *       gives the status the kernel kept.
 *   <li>Dead but not yet reaped by a parent that is not us: wait for the reap (the pidfd hangs
 *       up), at most the {@link ReapWait} bound, then {@code Unknown(NOT_REAPED)}.
 *   <li>Where PIDFD_INFO_EXIT is unavailable: {@code Unknown(NOT_OUR_CHILD)} at once, as before.
 * </ol>
 * Death is seen when the process becomes a zombie (pidfd EPOLLIN); its status when it is reaped
 * (EPOLLHUP), usually microseconds later.
 */
final class ObservedExit {
    private ObservedExit() {}

    /**
     * Runs the probe and loads what a look needs, at a source's start: loading a class needs a
     * descriptor, and a look may run when they are all in use (EMFILE).
     */
    static void prepare() {
        ExitInfoProbe.isAvailable();
    }

    /**
     * One look at a process that is not ours, seen dead (its pidfd readable) or hung up.
     *
     * @param awaitReap called when the look starts waiting for the reap (the pidfd backend then
     *     listens for the hang-up only)
     * @return how it ended; null while waiting for its parent to reap it
     */
    static Wait.Reaped look(Registration r, ReapWait wait, long nowNanos, AwaitReap awaitReap) throws SyscallException {
        if (!wait.isWaiting(r)) {
            Wait.Reaped peeked = peekChild(r.pidfd);
            if (peeked != null) return peeked;
        }
        Optional<ExitStatus> kept = afterReap(r.pidfd);
        if (kept.isPresent()) {
            wait.forget(r);
            return new Wait.Reaped(kept.get(), null);
        }
        if (!ExitInfoProbe.isAvailable()) return ExitSource.unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD);
        if (!wait.isWaiting(r)) {
            if (wait.disabled()) return ExitSource.unknown(ExitStatus.UnknownReason.NOT_REAPED);
            wait.start(r, nowNanos);
            awaitReap.start(r);
            return null;
        }
        if (wait.expired(r, nowNanos)) {
            wait.forget(r);
            return ExitSource.unknown(ExitStatus.UnknownReason.NOT_REAPED);
        }
        return null;
    }

    /**
     * A child of this JVM that has exited and is not yet reaped: its status, without reaping it.
     * Null for anyone else's process (ECHILD), or one reaped meanwhile by its owner.
     */
    static Wait.Reaped peekChild(Fd pidfd) throws SyscallException {
        try {
            return Wait.waitidPidfd(pidfd, Wait.WNOHANG | Wait.WNOWAIT);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ECHILD) return null; // here: not a child of this JVM, or reaped already
            throw e;
        }
    }

    /**
     * By pid, for the polling backend without pidfds: as {@link #peekChild(Fd)}, for a process
     * seen as a zombie (its pid cannot be reused until it is reaped). Linux only.
     */
    static Wait.Reaped peekChild(int pid) throws SyscallException {
        try {
            return Wait.waitidPid(pid, Wait.WNOHANG | Wait.WNOWAIT);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ECHILD) return null;
            throw e;
        }
    }

    /** The status the kernel kept after the reap; empty while unreaped, or where PIDFD_INFO_EXIT is unavailable. */
    static Optional<ExitStatus> afterReap(Fd pidfd) throws SyscallException {
        if (pidfd == null || !ExitInfoProbe.isAvailable()) return Optional.empty();
        return PidfdInfo.exitStatus(pidfd);
    }

    /** What a backend does when a look starts waiting for the reap. */
    @FunctionalInterface
    interface AwaitReap {
        void start(Registration r) throws SyscallException;
    }
}
