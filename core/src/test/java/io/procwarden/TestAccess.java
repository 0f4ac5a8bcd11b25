package io.procwarden;

import io.procwarden.internal.monitor.MonitorLoop;

/** Test-only access to package-private parts of the public API. */
public final class TestAccess {
    private TestAccess() {}

    public static MonitorLoop loop(ProcessMonitor monitor) {
        return monitor.loop();
    }
}
