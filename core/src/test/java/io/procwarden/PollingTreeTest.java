package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Whole-tree kills with the polling monitor, forced. */
@EnabledOnOs(OS.LINUX)
class PollingTreeTest extends TreeContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.POLLING;
    }
}
