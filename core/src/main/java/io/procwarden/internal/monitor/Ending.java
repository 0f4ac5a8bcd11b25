package io.procwarden.internal.monitor;

import io.procwarden.internal.ffi.Wait;
import java.util.List;

/**
 * What ending a registration leaves to do: tell these listeners how it ended, once, after every
 * lock is released. {@link Registration#end} hands it out to exactly one caller; every later
 * call gets one with no listeners.
 *
 * @param registration what ended, for the log (null for an outcome known before any registration)
 * @param listeners whom to tell
 * @param outcome how the process ended; null when {@code failure} is set
 * @param failure why watching failed (a system call, the monitor closed); null for an outcome
 */
record Ending(Registration registration, List<ExitListener> listeners, Wait.Reaped outcome, Throwable failure) {
    private static final System.Logger LOG = System.getLogger(MonitorLoop.class.getName());

    /** An outcome known at once, for a listener that never got a registration. */
    static Ending of(ExitListener listener, Wait.Reaped outcome) {
        return new Ending(null, List.of(listener), outcome, null);
    }

    /** Tells every listener; a throwing listener is logged and keeps no other from being told. */
    void tell() {
        for (ExitListener l : listeners) {
            try {
                if (failure != null) {
                    l.onFailure(failure);
                } else {
                    l.onExit(outcome.status(), outcome.usage());
                }
            } catch (Throwable t) {
                // A throwing listener must not stop the loop or keep others from being told.
                LOG.log(System.Logger.Level.WARNING, "exit listener for "
                        + (registration != null ? registration : "a process") + " threw", t);
            }
        }
    }
}
