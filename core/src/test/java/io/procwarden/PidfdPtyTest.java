package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The pseudo-terminal contract with the PIDFD monitor backend. */
@EnabledOnOs({OS.LINUX})
class PidfdPtyTest extends PtyContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.PIDFD;
    }
}
