package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.sys.ProcFs;
import io.procwarden.internal.sys.ProcStat;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Opening a watch by pid, for the backends without an epoll set (polling, kqueue): does it exist,
 * its start time (Linux) so that a recycled pid is noticed, and, where the kernel keeps the status
 * of reaped processes ({@link ExitInfoProbe}), a pidfd held only to read that status later.
 *
 * <p>Nothing is reaped here: a watched process is never ours, even when it is a child of this JVM
 * (the JDK's or another library's), whose owner must get its status. Our children come through
 * {@link MonitorLoop#registerChild} and {@link MonitorLoop#adoptChild}.
 */
final class PidProbe {
    private PidProbe() {}

    private static final boolean LINUX = Platform.current().isLinux();

    static ExitSource.Opened open(int pid, long key) throws SyscallException {
        if (LINUX) {
            rejectThread(pid);
            Fd handle = null;
            if (ExitInfoProbe.isAvailable()) {
                try {
                    handle = Pidfd.open(pid); // pins this instance: its status, after the reap
                } catch (SyscallException e) {
                    if (e.errno() != Errno.ESRCH) throw e;
                    return new ExitSource.Ended(ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
                }
            }
            Optional<ProcStat> stat = ProcStat.read(pid);
            if (stat.isEmpty() && handle == null) {
                return new ExitSource.Ended(ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
            }
            // Gone already although we hold its pidfd: the first round reads its kept status.
            return new ExitSource.Live(new Registration(key, pid, false, handle, stat.map(ProcStat::startTime).orElse(-1L)));
        }
        if (!Signals.kill(pid, 0)) {
            return new ExitSource.Ended(ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
        }
        return new ExitSource.Live(new Registration(key, pid, false, null, -1));
    }

    /**
     * Linux: a thread id that is not its process's main thread is not a process; watching it
     * would report a thread's end (or, through pidfd_open, "no such process").
     *
     * @throws IllegalArgumentException naming the thread and its process
     */
    static void rejectThread(int pid) {
        if (!LINUX) return;
        OptionalInt group = ProcFs.threadGroupOf(pid);
        if (group.isPresent() && group.getAsInt() != pid) {
            throw new IllegalArgumentException("pid " + pid + " is a thread of process " + group.getAsInt()
                    + ", not a process; watch " + group.getAsInt());
        }
    }

    /** Reaps our child by pid ({@link Registration#reap} turns ECHILD into ALREADY_REAPED); null if it still runs. */
    static Wait.Reaped reapChild(Registration r, int options) throws SyscallException {
        return r.reap(() -> Wait.wait4(r.pid, options));
    }
}
