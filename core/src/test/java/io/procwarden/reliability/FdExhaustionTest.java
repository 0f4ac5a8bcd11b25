package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.Signal;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.testing.Children;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** With every descriptor used up, watching fails clearly (EMFILE named), leaves nothing half-registered, and recovers. */
@EnabledOnOs(OS.LINUX)
class FdExhaustionTest {

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void watchFailsWithEmfileThenRecovers(MonitorBackend backend) throws Exception {
        try (ProcessMonitor monitor = ProcessMonitor.create(backend);
                Children.NonChild stranger = Children.nonChild(true)) {
            int child = Children.sh("exec sleep 600");
            CompletableFuture<ExitStatus> childWatch = null;
            try {
                // Load every class the watch path needs while descriptors are still available.
                assertThat(monitor.adoptChild(Children.sh("exit 0")).get(30, TimeUnit.SECONDS))
                        .isEqualTo(new ExitStatus.Exited(0));
                List<Fd> hog = new ArrayList<>();
                try {
                    while (true) {
                        try {
                            hog.add(Unistd.open("/dev/null", Unistd.O_RDONLY, 0));
                        } catch (SyscallException e) {
                            assertThat(e.errnoName()).isEqualTo("EMFILE");
                            break;
                        }
                    }
                    // pidfd needs a descriptor for every watch; polling needs one only to read
                    // /proc (and hold a status pidfd) for a process that is not our child.
                    int needsFd = backend == MonitorBackend.PIDFD ? child : stranger.pid();
                    assertThatThrownBy(() -> {
                        if (backend == MonitorBackend.PIDFD) monitor.adoptChild(child);
                        else monitor.watch(stranger.pid());
                    })
                            .isInstanceOf(UncheckedIOException.class)
                            .hasMessageContaining("EMFILE")
                            .hasMessageContaining(Integer.toString(needsFd));
                    assertThat(monitor.watchedCount()).as("nothing half-registered").isZero();
                    if (backend == MonitorBackend.POLLING) {
                        childWatch = monitor.adoptChild(child); // waitid and wait4 need no descriptor
                    }
                } finally {
                    hog.forEach(Fd::close);
                }
                if (childWatch == null) childWatch = monitor.adoptChild(child);
                CompletableFuture<ExitStatus> strangerWatch = monitor.watch(stranger.pid());
                Children.kill(child, Signal.KILL.number());
                Children.kill(stranger.pid(), Signal.KILL.number());
                assertThat(childWatch.get(30, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
                assertThat(strangerWatch.get(30, TimeUnit.SECONDS)).isEqualTo(
                        ProcessMonitor.nonChildStatusUnavailabilityCause().isEmpty()
                                ? new ExitStatus.Signaled(Signal.KILL, false) // its parent reaps it
                                : new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD));
            } finally {
                if (childWatch == null) { // not handed to the monitor: ours to kill and reap (unreaped: pid not reused)
                    Children.kill(child, Signal.KILL.number());
                    Wait.wait4(child, 0);
                }
            }
        }
    }
}
