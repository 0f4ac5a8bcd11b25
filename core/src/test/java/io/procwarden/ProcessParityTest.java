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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same suite against the JDK's {@link Process} ({@code ProcessBuilder.start()}) and ours
 * ({@link ChildProcess#asProcess()}): each test is given a {@link ProcessBuilder} and a factory
 * that starts it one way or the other, so any difference between the two fails on one side.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
class ProcessParityTest {
    private static ProcessMonitor monitor;

    @BeforeAll
    static void start() {
        monitor = ProcessMonitor.create();
    }

    @AfterAll
    static void stop() {
        monitor.close();
    }

    interface Factory {
        Process start(ProcessBuilder pb) throws IOException;
    }

    static Stream<Named<Factory>> factories() {
        return Stream.of(Named.of("jdk", ProcessBuilder::start), Named.of("procwarden", ProcessParityTest::ours));
    }

    /** The ProcessBuilder's command and redirects, as a ProcessSpec. */
    private static Process ours(ProcessBuilder pb) throws IOException {
        ProcessSpec spec = ProcessSpec.of(pb.command()).stdin(redirect(pb.redirectInput()))
                .stdout(redirect(pb.redirectOutput()))
                .stderr(pb.redirectErrorStream() ? Redirect.TO_STDOUT : redirect(pb.redirectError()));
        return spec.spawn(monitor).asProcess();
    }

    private static Redirect redirect(ProcessBuilder.Redirect r) {
        if (r == ProcessBuilder.Redirect.PIPE) return Redirect.PIPE;
        if (r == ProcessBuilder.Redirect.INHERIT) return Redirect.INHERIT;
        if (r == ProcessBuilder.Redirect.DISCARD) return Redirect.DISCARD;
        if (r.type() == ProcessBuilder.Redirect.Type.READ) return Redirect.from(r.file().toPath());
        throw new IllegalArgumentException("not translated: " + r);
    }

    private static final java.io.File DEV_NULL = new java.io.File("/dev/null");

    private static ProcessBuilder sh(String script) {
        return new ProcessBuilder("sh", "-c", script);
    }

    @ParameterizedTest
    @MethodSource("factories")
    void readOutputThenWait(Factory f) throws Exception {
        Process p = f.start(sh("echo hello; echo oops >&2; exit 3"));
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
        assertThat(p.waitFor()).isEqualTo(3);
        assertThat(p.exitValue()).isEqualTo(3);
        assertThat(p.isAlive()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("factories")
    void writeToStdinReadLinesBack(Factory f) throws Exception {
        Process p = f.start(new ProcessBuilder("cat"));
        try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8))) {
            w.write("one\ntwo\n");
        }
        try (BufferedReader r = p.inputReader(StandardCharsets.UTF_8)) {
            assertThat(r.lines().toList()).isEqualTo(List.of("one", "two"));
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @ParameterizedTest
    @MethodSource("factories")
    void exitValueWhileRunningThrowsAndDestroyIsSigterm(Factory f) throws Exception {
        Process p = f.start(sh("exec sleep 600"));
        assertThatThrownBy(p::exitValue).isInstanceOf(IllegalThreadStateException.class);
        assertThat(p.waitFor(10, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(p.supportsNormalTermination()).isTrue();
        p.destroy();
        assertThat(p.waitFor()).isEqualTo(128 + Signal.TERM.number());
        assertThat(p.exitValue()).isEqualTo(143);
    }

    @ParameterizedTest
    @MethodSource("factories")
    void destroyForciblyIsSigkill(Factory f) throws Exception {
        Process p = f.start(sh("trap '' TERM; exec sleep 600"));
        assertThat(p.destroyForcibly()).isSameAs(p);
        assertThat(p.onExit().get(30, TimeUnit.SECONDS)).isSameAs(p);
        assertThat(p.exitValue()).isEqualTo(137);
        assertThat(p.isAlive()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("factories")
    void onExitGivesANewFutureOfTheProcess(Factory f) throws Exception {
        Process p = f.start(sh("read line; exit 5"));
        CompletableFuture<Process> a = p.onExit();
        CompletableFuture<Process> b = p.onExit();
        assertThat(a).isNotSameAs(b);
        a.cancel(true);
        assertThat(p.isAlive()).isTrue();
        p.getOutputStream().write('\n');
        p.getOutputStream().flush();
        assertThat(b.get(30, TimeUnit.SECONDS).exitValue()).isEqualTo(5);
    }

    @ParameterizedTest
    @MethodSource("factories")
    void handleInfoAndChildrenWhileRunning(Factory f) throws Exception {
        // sh waits for its one child, a sleep, so both implementations see one child and one descendant.
        Process p = f.start(sh("sleep 600 & echo started; wait").redirectInput(DEV_NULL));
        assertThat(p.inputReader().readLine()).isEqualTo("started");
        ProcessHandle h = p.toHandle();
        assertThat(h.pid()).isEqualTo(p.pid());
        assertThat(h.isAlive()).isTrue();
        assertThat(p.info().command()).hasValueSatisfying(c -> assertThat(c).endsWith("sh"));
        assertThat(h.parent().map(ProcessHandle::pid)).contains(ProcessHandle.current().pid());
        List<ProcessHandle> kids = p.children().toList();
        assertThat(kids).hasSize(1);
        assertThat(p.descendants().toList()).hasSize(1);
        kids.getFirst().destroyForcibly();
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @ParameterizedTest
    @MethodSource("factories")
    void handleInfoAndChildrenAfterExit(Factory f) throws Exception {
        Process p = f.start(new ProcessBuilder("sleep", "600").redirectInput(DEV_NULL));
        p.destroyForcibly().waitFor();
        ProcessHandle h = p.toHandle();
        assertThat(h.pid()).isEqualTo(p.pid());
        assertThat(h.isAlive()).isFalse();
        assertThat(h.onExit().get(30, TimeUnit.SECONDS).pid()).isEqualTo(p.pid());
        assertThat(h.destroy()).isFalse();
        assertThat(p.info().command()).isEmpty();
        assertThat(p.info().startInstant()).isEmpty();
        assertThat(p.children()).isEmpty();
        assertThat(p.descendants()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("factories")
    void toStringNamesPidAndExitValue(Factory f) throws Exception {
        Process p = f.start(sh("read line; exit 7"));
        assertThat(p.toString()).isEqualTo("Process[pid=" + p.pid() + ", exitValue=\"not exited\"]");
        p.getOutputStream().close();
        assertThat(p.waitFor()).isEqualTo(7);
        assertThat(p.toString()).isEqualTo("Process[pid=" + p.pid() + ", exitValue=7]");
    }

    @ParameterizedTest
    @MethodSource("factories")
    void nonPipeStreamsAreEmpty(Factory f) throws Exception {
        Process p = f.start(new ProcessBuilder("true").redirectInput(DEV_NULL)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true));
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
