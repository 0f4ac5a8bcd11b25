package io.procwarden;

import io.procwarden.internal.monitor.MonitorLoop;

/**
 * Reaches the package-private {@link ProcessMonitor#loop()} from the benchmark, which registers
 * the children it spawns the way the spawn layer will (same package on the class path).
 */
public final class BenchAccess {
    private BenchAccess() {}

    /** The loop behind a monitor. */
    public static MonitorLoop loop(ProcessMonitor monitor) {
        return monitor.loop();
    }
}
