package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import java.util.List;
import java.util.function.Supplier;

/**
 * How a loop stops, on its own thread, once no new registration can arrive: each registration
 * still held is released, or, for a child not yet reaped when there is a successor loop, handed
 * over to it (the hand-off), so that it is still reaped and never left a zombie. Then each one
 * ends, its listeners failing with IllegalStateException.
 */
final class LoopShutdown {
    private static final System.Logger LOG = System.getLogger(LoopShutdown.class.getName());

    private LoopShutdown() {}

    /**
     * @param held every registration still in the loop's key map
     * @param fatal why the loop failed, or null for a close
     * @param successor gives the loop that takes over running children; null: none
     */
    static void endAll(MonitorLoop loop, List<Registration> held, Throwable fatal, Supplier<MonitorLoop> successor) {
        Successor next = successor == null ? null : new Successor(successor);
        for (Registration r : held) {
            if (r.child && next != null && loop.take(r)) {
                loop.source().disarm(r);
                if (!handOff(r, next)) continue; // reaped meanwhile: its reaper ends it with the real outcome
            } else {
                loop.release(r);
            }
            Throwable error = fatal != null
                    ? new IllegalStateException("process monitor failed while watching pid " + r.pid, fatal)
                    : new IllegalStateException("ProcessMonitor closed while watching pid " + r.pid);
            r.end(null, error).tell();
        }
    }

    /**
     * Gives a running child, and its pidfd, to the successor, which reaps it from now on.
     *
     * @return false if the child was reaped meanwhile (by a caller in waitFor()): nothing to hand over
     */
    private static boolean handOff(Registration r, Successor next) {
        // Pid-mode signals through this registration (Registration.whileUnreaped) stop before the
        // successor can reap the child, after which its pid may be reused.
        if (!r.markHandedOff()) {
            if (r.pidfd != null) r.pidfd.close();
            return false;
        }
        MonitorLoop to;
        try {
            to = next.get();
        } catch (RuntimeException e) {
            if (r.pidfd != null) r.pidfd.close();
            LOG.log(System.Logger.Level.WARNING, "no monitor to hand child " + r.pid + " to; it will not be reaped", e);
            return true;
        }
        try {
            // A child watched by pid (polling) has no pidfd; the pidfd backend needs one. Opening
            // it is race-free: the child is unreaped, so its pid cannot have been reused.
            Fd fd = r.pidfd == null && to.backend() == ExitBackend.PIDFD ? Pidfd.open(r.pid) : r.pidfd;
            to.registerChild(r.pid, fd, null); // owns fd from now on, even when it fails
        } catch (SyscallException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not hand child " + r.pid + " over; it will not be reaped", e);
        }
        return true;
    }

    /** The successor, asked for at most once, and only if a child needs it. */
    private static final class Successor {
        private final Supplier<MonitorLoop> supplier;
        private MonitorLoop loop;

        Successor(Supplier<MonitorLoop> supplier) {
            this.supplier = supplier;
        }

        MonitorLoop get() {
            if (loop == null) loop = supplier.get();
            return loop;
        }
    }
}
