package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The pseudo-terminal contract with the POLLING monitor backend. */
@EnabledOnOs({OS.LINUX})
class PollingPtyTest extends PtyContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.POLLING;
    }
}
