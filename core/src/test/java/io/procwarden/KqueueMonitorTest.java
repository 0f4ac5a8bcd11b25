package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The contract on kqueue: runs on macOS only (the CI's macOS runner), not on this Linux machine. */
@EnabledOnOs(OS.MAC)
class KqueueMonitorTest extends MonitorContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.KQUEUE;
    }
}
