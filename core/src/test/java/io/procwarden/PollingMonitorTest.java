package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The contract on the polling fallback, forced. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class PollingMonitorTest extends MonitorContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.POLLING;
    }
}
