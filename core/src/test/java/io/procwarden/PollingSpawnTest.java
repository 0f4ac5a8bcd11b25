package io.procwarden;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Spawning with the polling monitor, forced: reaped by wait4 on each round. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class PollingSpawnTest extends SpawnContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.POLLING;
    }
}
