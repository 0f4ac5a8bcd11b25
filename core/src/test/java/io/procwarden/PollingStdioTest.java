package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The stdio contract with the POLLING monitor backend: pipes in its own epoll set (kqueue on macOS), waited with the round interval as timeout. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class PollingStdioTest extends StdioContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.POLLING;
    }
}
