package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The jail through the public spawn API: ProcessSpec.jail(...).spawn() gives an ordinary ChildProcess. */
@EnabledOnOs(OS.LINUX)
class JailedSpawnTest {

    @Test
    void limitsAndNoNewPrivsHoldFromTheFirstInstruction() throws Exception {
        JailSpec jail = JailSpec.none().limit(JailSpec.Resource.NOFILE, 100).noNewPrivileges();
        try (ChildProcess p = ProcessSpec.of("/bin/cat", "/proc/self/limits", "/proc/self/status")
                .stdout(Redirect.PIPE).jail(jail).spawn()) {
            String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(Duration.ofSeconds(60))).contains(new ExitStatus.Exited(0));
            assertThat(out).containsPattern("Max open files\\s+100\\s+100\\s+files");
            assertThat(out).containsPattern("NoNewPrivs:\\s+1");
        }
    }

    @Test
    void aJailedChildIsKilledAndReportedLikeAnyOther() throws Exception {
        try (ChildProcess p = ProcessSpec.of("/bin/sleep", "600").jail(JailSpec.none().noNewPrivileges()).spawn()) {
            assertThat(p.isAlive()).isTrue();
            assertThat(p.kill()).isTrue();
            assertThat(p.onExit().get(60, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        }
    }

    @Test
    void aJailThisHostCannotHonourFailsAtSpawnNamingWhatIsMissing() {
        JailSpec jail = JailSpec.none().namespaces(JailSpec.Namespace.values()).bubblewrap(Path.of("/nonexistent/bwrap"));
        assertThatThrownBy(() -> ProcessSpec.of("/bin/true").jail(jail).spawn())
                .isInstanceOf(SpawnException.class)
                .hasMessageContaining("/bin/true")
                .hasMessageContaining("/nonexistent/bwrap");
    }
}
