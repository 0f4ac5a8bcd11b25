package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Spawning with the pidfd monitor: handle mode, reaped through waitid(P_PIDFD). */
@EnabledOnOs(OS.LINUX)
class PidfdSpawnTest extends SpawnContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.PIDFD;
    }
}
