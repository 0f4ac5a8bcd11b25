package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** {@link Pipeline}: child-to-child pipes, every stage's status, clean failure. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class PipelineTest {
    private static ProcessMonitor monitor;

    @BeforeAll
    static void start() {
        monitor = ProcessMonitor.create();
    }

    @AfterAll
    static void stop() {
        monitor.close();
    }

    private static ProcessSpec sh(String script) {
        return ProcessSpec.of("sh", "-c", script);
    }

    @Test
    void threeStagesGiveTheLastOnesOutputAndEveryStatus() throws Exception {
        try (Pipeline p = Pipeline.start(List.of(ProcessSpec.of("printf", "b\\na\\nb\\n"), ProcessSpec.of("sort"),
                ProcessSpec.of("uniq", "-c").stdout(Redirect.PIPE)), monitor)) {
            String out = new String(p.last().stdout().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(out.lines().map(String::strip).toList()).containsExactly("1 a", "2 b");
            assertThat(p.onExit().get(30, TimeUnit.SECONDS)).containsExactly(new ExitStatus.Exited(0),
                    new ExitStatus.Exited(0), new ExitStatus.Exited(0));
        }
    }

    @Test
    void eachStageHasItsOwnStatus() throws Exception {
        try (Pipeline p = Pipeline.start(List.of(sh("echo x; exit 3"), ProcessSpec.of("cat"),
                sh("cat >/dev/null; kill -9 $$")), monitor)) {
            assertThat(p.waitFor()).containsExactly(new ExitStatus.Exited(3), new ExitStatus.Exited(0),
                    new ExitStatus.Signaled(Signal.KILL, false));
        }
    }

    @Test
    void inputAndMergedStderrFlowThrough() throws Exception {
        try (Pipeline p = Pipeline.start(List.of(ProcessSpec.of("cat").input("one\ntwo\n"),
                sh("cat; echo oops >&2").stderr(Redirect.TO_STDOUT), ProcessSpec.of("wc", "-l").stdout(Redirect.PIPE)),
                monitor)) {
            ProcessOutput out = p.last().collect().get(30, TimeUnit.SECONDS);
            assertThat(out.stdoutText().strip()).isEqualTo("3");
        }
    }

    /** The pipe between two stages is one kernel object, their fd 1 and fd 0, and this JVM holds no end of it. */
    @Test
    @EnabledOnOs(OS.LINUX)
    void thePipeGoesFromChildToChildNotThroughTheJvm() throws Exception {
        try (Pipeline p = Pipeline.start(List.of(sh("exec sleep 600"), sh("exec sleep 600")), monitor)) {
            String out = Files.readSymbolicLink(Path.of("/proc", "" + p.first().pid(), "fd", "1")).toString();
            String in = Files.readSymbolicLink(Path.of("/proc", "" + p.last().pid(), "fd", "0")).toString();
            assertThat(out).startsWith("pipe:").isEqualTo(in);
            try (Stream<Path> ours = Files.list(Path.of("/proc/self/fd"))) {
                assertThat(ours.map(PipelineTest::link)).doesNotContain(out);
            }
            assertThatThrownBy(() -> p.first().stdout()).isInstanceOf(IllegalStateException.class);
            p.kill();
            assertThat(p.onExit().get(30, TimeUnit.SECONDS)).allMatch(s -> s instanceof ExitStatus.Signaled);
        }
    }

    private static String link(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (java.io.IOException e) {
            return ""; // closed meanwhile (the listing's own descriptor)
        }
    }

    @Test
    void aStageThatCannotStartFailsTheWholeAndKillsTheOthers() throws Exception {
        // A sleep with an argument no other test uses, to find the first stage among our children.
        String mark = "599.017";
        assertThatThrownBy(() -> Pipeline.start(List.of(ProcessSpec.of("sleep", mark),
                ProcessSpec.of("no-such-program-procwarden-17")), monitor))
                .isInstanceOf(SpawnException.class).hasMessageContaining("no-such-program-procwarden-17");
        // The first stage was killed (and is reaped by the monitor): it ends within seconds, not 600.
        assertThat(ProcessHandle.current().children().filter(h -> h.info().commandLine().orElse("").contains(mark)))
                .allSatisfy(h -> assertThat(h.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse());
    }

    @Test
    void redirectsThePipesReplaceAreRejectedByStage() {
        assertThatThrownBy(() -> Pipeline.start(List.of(ProcessSpec.of("true").stdout(Redirect.PIPE), ProcessSpec.of("cat")),
                monitor)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stage 0 (true)");
        assertThatThrownBy(() -> Pipeline.start(List.of(ProcessSpec.of("true"), ProcessSpec.of("cat").stdin(Redirect.PIPE)),
                monitor)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stage 1 (cat)");
        assertThatThrownBy(() -> Pipeline.start(List.of(ProcessSpec.of("true")), monitor))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
