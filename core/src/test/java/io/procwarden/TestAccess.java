package io.procwarden;

import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.internal.monitor.Registration;

/** Test-only access to package-private parts of the public API. */
public final class TestAccess {
    private TestAccess() {}

    public static MonitorLoop loop(ProcessMonitor monitor) {
        return monitor.loop();
    }

    /** True if the child is signalled through its pidfd (handle mode), false in pid mode. */
    public static boolean handleMode(ChildProcess child) {
        return child.handleMode();
    }

    /** The child's registration with its monitor, to call the signalling layer below the handle's own checks. */
    public static Registration registration(ChildProcess child) {
        return child.registration();
    }
}
