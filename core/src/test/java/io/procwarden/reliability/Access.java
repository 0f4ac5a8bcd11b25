package io.procwarden.reliability;

import io.procwarden.ProcessMonitor;
import io.procwarden.internal.monitor.MonitorLoop;

/** Reaches the package-private loop of a monitor from other test packages. */
final class Access {
    private Access() {}

    static MonitorLoop loop(ProcessMonitor monitor) {
        return io.procwarden.TestAccess.loop(monitor);
    }
}
