package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Wait;

/**
 * Handing a child of this JVM over to procwarden ({@link MonitorLoop#adoptChild}): the one check
 * that it is a child we may reap, and its pidfd. The caller promises that nobody else waits for
 * it; what can be checked is that it is this JVM's child and not reaped yet.
 */
final class ChildAdoption {
    private ChildAdoption() {}

    /**
     * Checks that {@code pid} is an unreaped child of this JVM (Linux: {@code waitid(P_PID,
     * WNOHANG | WNOWAIT)}, which reaps nothing; elsewhere nothing can be checked without reaping,
     * and a child reaped by someone else later ends as ALREADY_REAPED).
     *
     * @param withPidfd open its pidfd (the pidfd backend needs one); race-free by pid, since an
     *     unreaped child's pid cannot be reused
     * @return its pidfd, owned by the caller; null if not asked for
     * @throws IllegalArgumentException if it is not a child of this JVM, or was reaped already
     */
    static Fd check(int pid, boolean withPidfd) throws SyscallException {
        if (Platform.current().isLinux()) {
            try {
                Wait.waitidPid(pid, Wait.WNOHANG | Wait.WNOWAIT); // null: running; a status: exited, unreaped
            } catch (SyscallException e) {
                if (e.errno() != Errno.ECHILD) throw e;
                throw new IllegalArgumentException("pid " + pid + " is not a child of this JVM, or it was reaped already"
                        + " (waitid: ECHILD); only a child nobody else waits for can be adopted");
            }
        }
        return withPidfd ? Pidfd.open(pid) : null;
    }
}
