package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.Signal;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.testing.Children;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Someone else in the JVM reaps a child we spawned (a stray {@code waitpid}): the handle reports
 * ALREADY_REAPED, no exception reaches the loop thread, no signal goes out afterwards, and the
 * monitor keeps serving. (The monitor contract checks the same for plain watches.)
 */
@EnabledOnOs(OS.LINUX)
class StrayReaperTest {

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void aSpawnedChildReapedBySomeoneElse(MonitorBackend backend) throws Exception {
        ProcessSpec sleeper = ProcessSpec.of("sleep", "600").stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                .stderr(Redirect.DISCARD);
        try (ProcessMonitor monitor = ProcessMonitor.create(backend); ChildProcess p = sleeper.spawn(monitor)) {
            MonitorLoop loop = Access.loop(monitor);
            // Hold the loop still so that the stray reaper below is sure to win.
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            loop.runOnLoop(() -> {
                held.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(held.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.kill()).isTrue();
            Wait.Reaped stray = Wait.wait4((int) p.pid(), 0); // blocks until the child is dead, then reaps it
            assertThat(stray.status()).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
            release.countDown();

            assertThat(p.waitFor(Duration.ofSeconds(60)))
                    .contains(new ExitStatus.Unknown(ExitStatus.UnknownReason.ALREADY_REAPED));
            assertThat(p.resourceUsage()).as("only the reaper got the usage").isEmpty();
            assertThat(p.signal(Signal.TERM)).isFalse();
            assertThat(p.asProcess().exitValue()).isEqualTo(-1);
            assertThat(Access.thread(loop).isAlive()).isTrue();
            assertThat(monitor.watchedCount()).isZero();
            try (ChildProcess q = ProcessSpec.of("sh", "-c", "exit 9").stdin(Redirect.DISCARD).spawn(monitor)) {
                assertThat(q.waitFor()).isEqualTo(new ExitStatus.Exited(9));
            }
            assertThat(Children.zombiesOfThisJvm()).isEmpty();
        }
    }
}
