package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.testing.Children;
import io.procwarden.testing.SeccompSessionListener;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs only in the forked JVM of the {@code seccomp-pidfd-info} surefire execution, where a real
 * seccomp filter refuses ioctl(PIDFD_GET_INFO) with EPERM and nothing else: pidfds work, but the
 * status of a reaped process cannot be read. The probe must say so, naming the ioctl, and a
 * non-child must end as NOT_OUR_CHILD at its death, not wait for its reap. (The monitor contracts,
 * run in the same JVM, check the rest: the JDK's children still exact, none reaped by us.)
 */
@EnabledIfSystemProperty(named = SeccompSessionListener.PROPERTY, matches = SeccompSessionListener.PIDFD_INFO)
class ExitInfoFallbackTest {

    @Test
    void theProbeNamesTheRefusedIoctlAndPidfdStaysTheBackend() {
        Throwable cause = ProcessMonitor.nonChildStatusUnavailabilityCause().orElseThrow();
        assertThat(cause).isInstanceOf(SyscallException.class).hasMessageContaining("PIDFD_GET_INFO");
        assertThat(((SyscallException) cause).errnoName()).isEqualTo("EPERM");
        assertThat(MonitorBackend.PIDFD.unavailabilityCause()).isEmpty();
        assertThat(MonitorBackend.best()).isEqualTo(MonitorBackend.PIDFD);
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void aNonChildEndsAsNotOurChildAtItsDeath(MonitorBackend backend) throws Exception {
        try (ProcessMonitor monitor = ProcessMonitor.create(backend); Children.NonChild p = Children.nonChild(false)) {
            var f = monitor.watch(p.pid());
            Children.kill(p.pid(), Signal.KILL.number());
            // Its parent never reaps it: with the status out of reach there is nothing to wait for.
            assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD));
            assertThat(Children.state(p.pid())).isEqualTo('Z');
        }
    }
}
