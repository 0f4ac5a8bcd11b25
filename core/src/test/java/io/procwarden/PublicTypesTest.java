package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.internal.ffi.Platform;
import org.junit.jupiter.api.Test;

/** The pure-Java parts of the public API. */
class PublicTypesTest {

    @Test
    void exitStatusNeverSquashes() {
        ExitStatus killed = new ExitStatus.Signaled(Signal.KILL, false);
        assertThat(killed.shellCode()).isEqualTo(137);
        assertThat(killed).isNotEqualTo(new ExitStatus.Exited(137));
        assertThat(killed.toString()).isEqualTo("killed by SIGKILL");
        assertThat(new ExitStatus.Signaled(Signal.SEGV, true).toString()).isEqualTo("killed by SIGSEGV (core dumped)");
        assertThat(new ExitStatus.Exited(0).isSuccess()).isTrue();
        assertThat(new ExitStatus.Exited(1).isSuccess()).isFalse();
        ExitStatus unknown = new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD);
        assertThatThrownBy(unknown::shellCode).isInstanceOf(IllegalStateException.class).hasMessageContaining("not our child");
        assertThatThrownBy(() -> new ExitStatus.Exited(256)).hasMessageContaining("256");
    }

    @Test
    void signalsByNameAndNumber() {
        assertThat(Signal.byName("term")).contains(Signal.TERM);
        assertThat(Signal.byName("SIGKILL")).contains(Signal.KILL);
        assertThat(Signal.byName("9")).contains(Signal.KILL);
        assertThat(Signal.byName("NOPE")).isEmpty();
        assertThat(Signal.KILL.number()).isEqualTo(9);
        assertThat(Signal.TERM.number()).isEqualTo(15);
        assertThat(Signal.USR1.number()).isEqualTo(Platform.current().isMacOs() ? 30 : 10);
        assertThat(Signal.of(11).name()).isEqualTo("SIGSEGV");
        assertThat(Signal.TERM.shortName()).isEqualTo("TERM");
        assertThatThrownBy(() -> Signal.of(0)).hasMessageContaining("0");
        if (Platform.current().isLinux()) {
            assertThat(Signal.of(35).name()).isEqualTo("SIGRTMIN+1");
        }
    }

    @Test
    void backendIdsParseAndBadValuesFailFast() {
        assertThat(MonitorBackend.parse("PIDFD")).isEqualTo(MonitorBackend.PIDFD);
        assertThat(MonitorBackend.parse(" polling ")).isEqualTo(MonitorBackend.POLLING);
        assertThatThrownBy(() -> MonitorBackend.parse("epoll")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"epoll\"").hasMessageContaining("pidfd, kqueue, polling");
        assertThat(MonitorBackend.POLLING.isAvailable()).isTrue();
        if (Platform.current().isLinux()) {
            assertThat(MonitorBackend.KQUEUE.unavailabilityCause()).get().asString().contains("not macOS");
        }
    }

    @Test
    void backendPropertyOverrides() {
        String old = System.getProperty(MonitorBackend.PROPERTY);
        try {
            System.setProperty(MonitorBackend.PROPERTY, "polling");
            assertThat(MonitorBackend.selected()).isEqualTo(MonitorBackend.POLLING);
            try (ProcessMonitor m = ProcessMonitor.create()) {
                assertThat(m.backend()).isEqualTo(MonitorBackend.POLLING);
            }
            System.setProperty(MonitorBackend.PROPERTY, "bogus");
            assertThatThrownBy(MonitorBackend::selected).hasMessageContaining("bogus");
            if (Platform.current().isLinux()) {
                System.setProperty(MonitorBackend.PROPERTY, "kqueue");
                assertThatThrownBy(MonitorBackend::selected).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("kqueue is unavailable");
            }
        } finally {
            if (old == null) System.clearProperty(MonitorBackend.PROPERTY);
            else System.setProperty(MonitorBackend.PROPERTY, old);
        }
    }

    @Test
    void processIdentityPidFileForm() {
        ProcessIdentity id = new ProcessIdentity(4242, 987654);
        assertThat(id.toPidFileLine()).isEqualTo("4242 987654");
        assertThat(ProcessIdentity.parse(" 4242   987654\n")).isEqualTo(id);
        assertThatThrownBy(() -> ProcessIdentity.parse("4242")).hasMessageContaining("\"4242\"");
        assertThatThrownBy(() -> ProcessIdentity.parse("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ProcessIdentity(0, 1)).hasMessageContaining("0");
    }

    @Test
    void sharedMonitorIsOneAndCannotBeClosed() {
        assertThat(ProcessMonitor.shared()).isSameAs(ProcessMonitor.shared());
        assertThatThrownBy(() -> ProcessMonitor.shared().close()).isInstanceOf(UnsupportedOperationException.class);
    }
}
