package io.procwarden.internal.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shared argument checks: one wording for NUL, environment names and absolute paths. */
class ChecksTest {

    @Test
    void nulIsNamedWithItsIndexAndShown() {
        assertThat(Checks.text("argument", "fine")).isEqualTo("fine");
        assertThatThrownBy(() -> Checks.text("argument", "ab\0c")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument contains NUL at index 2: \"ab\\0c\"");
        assertThatThrownBy(() -> Checks.text("argument", null)).isInstanceOf(NullPointerException.class)
                .hasMessage("argument");
        assertThat(Checks.path("pid file", Path.of("/run/x"))).isEqualTo(Path.of("/run/x"));
        assertThatThrownBy(() -> Checks.path("pid file", null)).isInstanceOf(NullPointerException.class).hasMessage("pid file");
    }

    @Test
    void environmentNames() {
        assertThat(Checks.environmentName("PATH")).isEqualTo("PATH");
        assertThatThrownBy(() -> Checks.environmentName("")).hasMessage("empty environment variable name");
        assertThatThrownBy(() -> Checks.environmentName("A=B")).hasMessage("environment variable name contains '=': \"A=B\"");
        assertThatThrownBy(() -> Checks.environmentName("A\0B")).hasMessageContaining("environment name contains NUL");
        assertThatThrownBy(() -> Checks.environmentName(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void absolutePaths() {
        assertThat(Checks.absolutePath("tmpfs", Path.of("/tmp"))).isEqualTo(Path.of("/tmp"));
        assertThatThrownBy(() -> Checks.absolutePath("bind source", Path.of("relative/dir")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bind source must be an absolute path: \"relative/dir\"");
        assertThatThrownBy(() -> Checks.absolutePath("tmpfs", null)).isInstanceOf(NullPointerException.class);
    }
}
