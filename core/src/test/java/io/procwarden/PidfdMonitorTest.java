package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The contract on Linux pidfd + epoll. On Linux this backend must be available: no silent skip. */
@EnabledOnOs(OS.LINUX)
class PidfdMonitorTest extends MonitorContract {
    @Override
    MonitorBackend backend() {
        return MonitorBackend.PIDFD;
    }

    @Test
    void pidfdIsTheDefaultOnThisLinux() {
        assertThat(MonitorBackend.PIDFD.unavailabilityCause()).isEmpty();
        assertThat(MonitorBackend.best()).isEqualTo(MonitorBackend.PIDFD);
    }
}
