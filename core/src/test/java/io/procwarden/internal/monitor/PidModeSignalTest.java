package io.procwarden.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ExitStatus;
import io.procwarden.ResourceUsage;
import io.procwarden.Signal;
import io.procwarden.testing.Children;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Signalling in pid mode (a child registered without a pidfd, as on kernels without pidfds):
 * kill(pid) only while unreaped, never afterwards, when the pid may belong to someone else.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
class PidModeSignalTest {

    @Test
    void signalsOnlyWhileUnreaped() throws Exception {
        try (MonitorLoop loop = MonitorLoop.start(ExitBackend.POLLING)) {
            int pid = Children.sh("exec sleep 600");
            CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
            Registration r = loop.registerChild(pid, null, new ExitListener() {
                @Override
                public void onExit(ExitStatus status, ResourceUsage usage) {
                    exit.complete(status);
                }

                @Override
                public void onFailure(Throwable error) {
                    exit.completeExceptionally(error);
                }
            });
            assertThat(r.hasPidfd()).isFalse();
            assertThat(r.signal(0)).as("alive").isTrue();
            assertThat(r.signal(Signal.TERM.number())).isTrue();
            assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
            assertThat(r.signal(Signal.KILL.number())).as("reaped: the pid is not ours any more").isFalse();
            assertThat(r.signalGroup(Signal.KILL.number())).isFalse();
        }
    }
}
