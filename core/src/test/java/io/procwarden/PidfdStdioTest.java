package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The stdio contract with the PIDFD monitor backend: pipes in its epoll set. */
@EnabledOnOs({OS.LINUX})
class PidfdStdioTest extends StdioContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.PIDFD;
    }
}
