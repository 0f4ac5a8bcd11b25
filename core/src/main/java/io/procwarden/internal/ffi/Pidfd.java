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
 * The descriptor is always close-on-exec.
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

    /**
     * {@code pidfd_send_signal(pidfd, sig, NULL, 0)}.
     *
     * @return false if the process has already exited (ESRCH); true if the signal was sent
     * @throws SyscallException any other failure (EPERM, ...)
     */
    public static boolean sendSignal(Fd pidfd, int signal) throws SyscallException {
        int n = pidfd.acquire();
        try {
            while (true) {
                Syscalls.Result r = Syscalls.call(Syscalls.SYS_PIDFD_SEND_SIGNAL, n, signal, 0, 0);
                if (!r.failed()) return true;
                if (r.errno() == Errno.EINTR) continue;
                if (r.errno() == Errno.ESRCH) return false;
                throw Errno.exception("pidfd_send_signal(" + pidfd + ", " + signal + ")", r.errno());
            }
        } finally {
            pidfd.release();
        }
    }
}
