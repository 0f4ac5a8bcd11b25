package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Syscalls;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.testing.SeccompSessionListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Runs only in the forked JVMs of the {@code seccomp-enosys} and {@code seccomp-eperm} surefire
 * executions (part of every {@code mvn verify}), where a real seccomp filter blocks the pidfd
 * calls: the probe must name the refused call and fall back to polling, and the monitor contract
 * (PollingMonitorTest, run in the same JVM) must hold there.
 */
@EnabledIfSystemProperty(named = SeccompSessionListener.PROPERTY, matches = "ENOSYS|EPERM")
class SeccompFallbackTest {
    private static final String MODE = System.getProperty(SeccompSessionListener.PROPERTY);

    @Test
    void theFilterReallyBlocksTheCalls() {
        var e = org.assertj.core.api.Assertions.catchThrowableOfType(SyscallException.class,
                () -> Pidfd.open(Unistd.getpid()));
        assertThat(e).as("pidfd_open must fail under the filter").isNotNull();
        assertThat(e.errnoName()).isEqualTo(MODE);
        Syscalls.Result r = Syscalls.call(Syscalls.SYS_CLOSE_RANGE, 100_000, 100_001, 0, 0);
        assertThat(r.failed()).isTrue();
        assertThat(Errno.name(r.errno())).isEqualTo(MODE);
    }

    @Test
    void probeFallsBackToPollingAndSaysWhy() {
        assertThat(MonitorBackend.PIDFD.unavailabilityCause()).get().asString()
                .contains("pidfd_open").contains(MODE);
        assertThat(MonitorBackend.best()).isEqualTo(MonitorBackend.POLLING);
        assertThat(MonitorBackend.selected()).isEqualTo(MonitorBackend.POLLING);
        assertThat(ProcessMonitor.shared().backend()).isEqualTo(MonitorBackend.POLLING);
        // Without pidfds there is no status of a reaped process either: non-children end as NOT_OUR_CHILD.
        assertThat(ProcessMonitor.nonChildStatusUnavailabilityCause()).get().asString()
                .contains("pidfd_open").contains(MODE);
    }
}
