package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.sys.ProcStat;
import java.util.Optional;

/**
 * Opening a watch by pid, for the backends without pidfds (polling, kqueue): is it our child,
 * does it exist, and its start time (Linux) so that a recycled pid is noticed.
 */
final class PidProbe {
    private PidProbe() {}

    /**
     * {@code wait4(pid, WNOHANG)} tells all three cases apart in one call: 0 for our live child,
     * the status for our exited child (reaped now), ECHILD for anyone else's process (here, when
     * a pid is first opened, ECHILD means "not our child").
     */
    static ExitSource.Opened open(int pid, long key) throws SyscallException {
        try {
            Wait.Reaped reaped = Wait.wait4(pid, Wait.WNOHANG);
            if (reaped != null) {
                return new ExitSource.Ended(reaped);
            }
            return new ExitSource.Live(new Registration(key, pid, true, null, -1));
        } catch (SyscallException e) {
            if (e.errno() != Errno.ECHILD) throw e;
        }
        if (Platform.current().isLinux()) {
            Optional<ProcStat> stat = ProcStat.read(pid);
            if (stat.isEmpty()) {
                return new ExitSource.Ended(ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
            }
            if (stat.get().hasExited()) {
                return new ExitSource.Ended(ExitSource.unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD));
            }
            return new ExitSource.Live(new Registration(key, pid, false, null, stat.get().startTime()));
        }
        if (!Signals.kill(pid, 0)) {
            return new ExitSource.Ended(ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
        }
        return new ExitSource.Live(new Registration(key, pid, false, null, -1));
    }

    /** Reaps our child by pid ({@link Registration#reap} turns ECHILD into ALREADY_REAPED); null if it still runs. */
    static Wait.Reaped reapChild(Registration r, int options) throws SyscallException {
        return r.reap(() -> Wait.wait4(r.pid, options));
    }
}
