package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Whole-tree kills with the pidfd monitor. */
@EnabledOnOs(OS.LINUX)
class PidfdTreeTest extends TreeContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.PIDFD;
    }
}
