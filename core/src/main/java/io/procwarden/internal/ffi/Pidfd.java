package io.procwarden.internal.ffi;

import io.procwarden.SyscallException;

/**
 * Linux process file descriptors.
 *
 * <ul>
 *   <li>{@code pidfd_open} (5.3) gives a descriptor that names one process for its whole life:
 *       the pid number may be reused later, the pidfd never follows it. It is readable once the
 *       process has exited (zombie or reaped), for any process, child or not.
 *   <li>{@code pidfd_send_signal} (5.1) signals through it, so a recycled pid is never hit.
 *   <li>{@code waitid(P_PIDFD)} (5.4) reaps through it, for our children only (ECHILD otherwise):
 *       see {@link Wait#waitidPidfd}.
 * </ul>
 * The descriptor is always close-on-exec. {@code PIDFD_SIGNAL_PROCESS_GROUP} (6.9) signals the
 * process group whose id is the pidfd's process, through the pinned pid: a recycled group id is
 * never hit.
 */
public final class Pidfd {
    private Pidfd() {}

    /**
     * {@code pidfd_open(pid, 0)}.
     *
     * @throws SyscallException ESRCH when there is no such process (EINVAL is reported for a
     *     pid that raced with its exit and is turned into ESRCH here, as the kernel documents)
     */
    public static Fd open(int pid) throws SyscallException {
        while (true) {
            Syscalls.Result r = Syscalls.call(Syscalls.SYS_PIDFD_OPEN, pid, 0, 0, 0);
            if (!r.failed()) {
                return Fd.adopt((int) r.value(), "pidfd of " + pid);
            }
            if (r.errno() == Errno.EINTR) continue;
            int errno = r.errno() == Errno.EINVAL && pid > 0 ? Errno.ESRCH : r.errno();
            throw Errno.exception("pidfd_open(" + pid + ")", errno);
        }
    }

    /** {@code pidfd_send_signal} flag (Linux 6.9): the process group whose id is the pidfd's pid (one it leads). */
    public static final int PIDFD_SIGNAL_PROCESS_GROUP = 1 << 2;

    /**
     * {@code pidfd_send_signal(pidfd, sig, NULL, 0)}.
     *
     * @return false if the process has already exited (ESRCH); true if the signal was sent
     * @throws SyscallException any other failure (EPERM, ...)
     */
    public static boolean sendSignal(Fd pidfd, int signal) throws SyscallException {
        return sendSignal(pidfd, signal, 0);
    }

    /**
     * {@code pidfd_send_signal(pidfd, sig, NULL, flags)}.
     *
     * @return false if the process (or, with {@link #PIDFD_SIGNAL_PROCESS_GROUP}, every member of
     *     its group) is gone (ESRCH); true if the signal was sent
     * @throws SyscallException any other failure (EPERM; EINVAL for a flag this kernel lacks)
     */
    public static boolean sendSignal(Fd pidfd, int signal, int flags) throws SyscallException {
        int n = pidfd.acquire();
        try {
            while (true) {
                Syscalls.Result r = Syscalls.call(Syscalls.SYS_PIDFD_SEND_SIGNAL, n, signal, 0, flags);
                if (!r.failed()) return true;
                if (r.errno() == Errno.EINTR) continue;
                if (r.errno() == Errno.ESRCH) return false;
                throw Errno.exception("pidfd_send_signal(" + pidfd + ", " + signal + (flags != 0 ? ", flags " + flags : "")
                        + ")", r.errno());
            }
        } finally {
            pidfd.release();
        }
    }

    private static final class GroupFlag {
        static final boolean SUPPORTED = probeGroupFlag();
    }

    /**
     * Whether this kernel has {@link #PIDFD_SIGNAL_PROCESS_GROUP} (Linux 6.9), probed once: signal
     * 0 (a permission check only) through a pidfd of ourselves to the group our pid would lead;
     * success or ESRCH (we lead none) means the flag is known, EINVAL that it is not.
     */
    public static boolean hasProcessGroupFlag() {
        return GroupFlag.SUPPORTED;
    }

    private static boolean probeGroupFlag() {
        try (Fd self = open(Unistd.getpid())) {
            int n = self.acquire();
            try {
                Syscalls.Result r;
                do {
                    r = Syscalls.call(Syscalls.SYS_PIDFD_SEND_SIGNAL, n, 0, 0, PIDFD_SIGNAL_PROCESS_GROUP);
                } while (r.failed() && r.errno() == Errno.EINTR);
                // ESRCH: the flag was understood, and no group has our pid as its id (we lead none).
                return !r.failed() || r.errno() == Errno.ESRCH;
            } finally {
                self.release();
            }
        } catch (SyscallException | RuntimeException e) {
            return false; // ENOSYS/EPERM without pidfds: kill(-pgid) instead
        }
    }

    /** True when the pidfd's process has exited (its pidfd is readable), without blocking. */
    public static boolean hasExited(Fd pidfd) throws SyscallException {
        return Poll.readable(pidfd);
    }
}
