package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * {@link ChildProcess#asProcess()} used the way code written for {@link ProcessBuilder} uses a
 * {@link Process}; each test would pass unchanged with {@code new ProcessBuilder(...).start()}.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
class ProcessViewTest {
    private static ProcessMonitor monitor;

    @BeforeAll
    static void start() {
        monitor = ProcessMonitor.create();
    }

    @AfterAll
    static void stop() {
        monitor.close();
    }

    /** Like {@code new ProcessBuilder("sh", "-c", script).start()}: all three streams piped. */
    private static Process start(String script) throws IOException {
        return ProcessSpec.of("sh", "-c", script).stdin(Redirect.PIPE).stdout(Redirect.PIPE).stderr(Redirect.PIPE)
                .spawn(monitor).asProcess();
    }

    @Test
    void readOutputThenWait() throws Exception {
        Process p = start("echo hello; echo oops >&2; exit 3");
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
        assertThat(p.waitFor()).isEqualTo(3);
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(p.isAlive()).isFalse();
    }

    @Test
    void writeToStdinReadLinesBack() throws Exception {
        Process p = start("cat");
        try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8))) {
            w.write("one\ntwo\n");
        }
        try (BufferedReader r = p.inputReader(StandardCharsets.UTF_8)) {
            assertThat(r.lines().toList()).isEqualTo(List.of("one", "two"));
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void exitValueWhileRunningThrowsAndDestroyIsSigterm() throws Exception {
        Process p = start("exec sleep 600");
        assertThatThrownBy(p::exitValue).isInstanceOf(IllegalThreadStateException.class);
        assertThat(p.waitFor(10, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(p.supportsNormalTermination()).isTrue();
        p.destroy();
        assertThat(p.waitFor()).isEqualTo(128 + Signal.TERM.number());
        assertThat(p.exitValue()).isEqualTo(143);
    }

    @Test
    void destroyForciblyIsSigkill() throws Exception {
        Process p = start("trap '' TERM; exec sleep 600");
        assertThat(p.destroyForcibly()).isSameAs(p);
        assertThat(p.onExit().get(30, TimeUnit.SECONDS)).isSameAs(p);
        assertThat(p.exitValue()).isEqualTo(137);
        assertThat(p.isAlive()).isFalse();
    }

    @Test
    void onExitGivesANewFutureOfTheProcess() throws Exception {
        Process p = start("read line; exit 5");
        CompletableFuture<Process> a = p.onExit();
        CompletableFuture<Process> b = p.onExit();
        assertThat(a).isNotSameAs(b);
        a.cancel(true);
        assertThat(p.isAlive()).isTrue();
        p.getOutputStream().write('\n');
        p.getOutputStream().flush();
        assertThat(b.get(30, TimeUnit.SECONDS).exitValue()).isEqualTo(5);
    }

    @Test
    void pidAndHandle() throws Exception {
        Process p = ProcessSpec.of("sleep", "600").stdin(Redirect.DISCARD).spawn(monitor).asProcess();
        ProcessHandle h = p.toHandle();
        assertThat(h.pid()).isEqualTo(p.pid());
        assertThat(h.isAlive()).isTrue();
        assertThat(p.info().command()).hasValueSatisfying(c -> assertThat(c).endsWith("sleep"));
        assertThat(h.parent().map(ProcessHandle::pid)).contains(ProcessHandle.current().pid());
        p.destroyForcibly().waitFor();
        assertThatThrownBy(p::toHandle).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("reaped");
    }

    @Test
    void nonPipeStreamsBehaveLikeTheJdks() throws Exception {
        Process p = ProcessSpec.of("true").stdin(Redirect.DISCARD).stdout(Redirect.DISCARD).stderr(Redirect.TO_STDOUT)
                .spawn(monitor).asProcess();
        assertThat(p.getInputStream().read()).isEqualTo(-1);
        assertThat(p.getErrorStream().read()).isEqualTo(-1);
        assertThatThrownBy(() -> p.getOutputStream().write(1)).isInstanceOf(IOException.class);
        assertThat(p.waitFor()).isZero();
    }

    @Test
    void theViewIsOnePerChild() throws Exception {
        try (ChildProcess c = ProcessSpec.of("true").spawn(monitor)) {
            assertThat(c.asProcess()).isSameAs(c.asProcess());
            assertThat(c.asProcess().waitFor()).isZero();
        }
    }
}
