package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec as a value: validation at build time, immutability, environment resolution. */
class ProcessSpecTest {

    @Test
    void badValuesAreRejectedNamingThem() {
        assertThatThrownBy(() -> ProcessSpec.of("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty command");
        assertThatThrownBy(() -> ProcessSpec.of(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcessSpec.of("ls", "ok", "bad\0arg")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("argument contains NUL at index 3").hasMessageContaining("bad\\0arg");
        assertThatThrownBy(() -> ProcessSpec.of("l\0s")).hasMessageContaining("command contains NUL");
        ProcessSpec ls = ProcessSpec.of("ls");
        assertThatThrownBy(() -> ls.env("A=B", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'='").hasMessageContaining("\"A=B\"");
        assertThatThrownBy(() -> ls.env("", "x")).hasMessageContaining("empty environment variable name");
        assertThatThrownBy(() -> ls.env("A", "x\0y")).hasMessageContaining("environment value of A contains NUL");
        assertThatThrownBy(() -> ls.environment(Map.of("K=V", "x"))).hasMessageContaining("\"K=V\"");
        assertThatThrownBy(() -> ls.inheritEnvironmentOnly(List.of("PA\0TH"))).hasMessageContaining("NUL");
        assertThatThrownBy(() -> ls.preserveFd(-1, 3)).hasMessageContaining("negative parent fd: -1");
        assertThatThrownBy(() -> ls.preserveFd(5, -7)).hasMessageContaining("negative child fd: -7");
        assertThatThrownBy(() -> ls.preserveFd(5, 1)).hasMessageContaining("child fd 1 is a standard stream");
        assertThatThrownBy(() -> ls.directory(Path.of("/tmp")).args((String) null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void redirectsOnlyWhereTheyFit() {
        ProcessSpec ls = ProcessSpec.of("ls");
        Path f = Path.of("/tmp/x");
        assertThatThrownBy(() -> ls.stdin(Redirect.to(f))).hasMessageContaining("WRITE \"/tmp/x\" cannot be used for stdin");
        assertThatThrownBy(() -> ls.stdout(Redirect.from(f))).hasMessageContaining("cannot be used for stdout");
        assertThatThrownBy(() -> ls.stdout(Redirect.TO_STDOUT)).hasMessageContaining("TO_STDOUT cannot be used for stdout");
        assertThat(ls.stderr(Redirect.TO_STDOUT).stderr()).isEqualTo(Redirect.TO_STDOUT);
        assertThat(ls.stdin(Redirect.from(f)).stdin().file()).contains(f);
        assertThat(Redirect.appendTo(f)).isEqualTo(Redirect.appendTo(f)).isNotEqualTo(Redirect.to(f));
    }

    @Test
    void buildingNeverChangesTheOriginal() {
        ProcessSpec base = ProcessSpec.of("echo", "a");
        ProcessSpec changed = base.args("b", "c").directory(Path.of("/tmp")).stdout(Redirect.PIPE).env("X", "1")
                .preserveFd(7, 3).newSession();
        assertThat(base.args()).containsExactly("a");
        assertThat(base.directory()).isEmpty();
        assertThat(base.stdout()).isEqualTo(Redirect.INHERIT);
        assertThat(base.preservedFds()).isEmpty();
        assertThat(base.isNewSession()).isFalse();
        assertThat(changed.args()).containsExactly("b", "c");
        assertThat(changed.preservedFds()).containsExactly(Map.entry(3, 7));
        assertThat(changed.isNewProcessGroup()).as("a session leader leads its group").isTrue();
        assertThat(changed).isEqualTo(ProcessSpec.of(List.of("echo", "b", "c")).directory(Path.of("/tmp"))
                .stdout(Redirect.PIPE).env("X", "1").preserveFd(7, 3).newSession());
        assertThat(changed.hashCode()).isEqualTo(changed.args("b", "c").hashCode());
        List<String> mutable = new java.util.ArrayList<>(List.of("x"));
        ProcessSpec fromList = base.args(mutable);
        mutable.add("y");
        assertThat(fromList.args()).containsExactly("x");
    }

    @Test
    void environmentModes() {
        ProcessSpec s = ProcessSpec.of("env");
        assertThat(s.toPlan().environment()).as("plain inheritance passes environ through").isNull();
        assertThat(s.environment(Map.of("B", "2", "A", "1")).env("C", "3").toPlan().environment())
                .containsExactly("A=1", "B=2", "C=3");
        Map<String, String> withEmpty = new HashMap<>();
        withEmpty.put("EMPTY", "");
        assertThat(s.environment(withEmpty).toPlan().environment()).containsExactly("EMPTY=");
        String home = System.getenv("HOME");
        assertThat(s.inheritEnvironmentOnly(List.of("HOME", "SURELY_NOT_SET_ANYWHERE")).toPlan().environment())
                .containsExactly("HOME=" + home);
        assertThat(s.env("ZZ_EXTRA", "1").toPlan().environment()).contains("ZZ_EXTRA=1", "HOME=" + home);
        assertThat(s.environment(Map.of("A", "1")).inheritEnvironment().toPlan().environment()).isNull();
    }

    @Test
    void unsetAndClearedEnvironmentsAreToldApart() {
        ProcessSpec s = ProcessSpec.of("env");
        ProcessSpec cleared = s.environment(Map.of());
        assertThat(cleared.toPlan().environment()).as("cleared: no variables at all").isEmpty();
        assertThat(s.toPlan().environment()).as("unset: environ as it is").isNull();
        assertThat(cleared).isNotEqualTo(s);
        assertThat(cleared.inheritEnvironment()).as("back to unset").isEqualTo(s);
        assertThat(s.inheritEnvironmentOnly(List.of()).toPlan().environment()).as("no names: nothing inherited").isEmpty();
        assertThat(s.inheritEnvironmentOnly(List.of())).isNotEqualTo(cleared);
        assertThat(cleared.toString()).contains("env explicit");
    }

    @Test
    void theSpecResolvesIntoOnePlan() {
        JailSpec jail = JailSpec.none();
        var plan = ProcessSpec.of("cat", "-u", "x").directory(Path.of("/tmp")).stdin(Redirect.PIPE)
                .stderr(Redirect.TO_STDOUT).preserveFd(9, 4).preserveFd(8, 3).newProcessGroup().jail(jail).toPlan();
        assertThat(plan.command()).isEqualTo("cat");
        assertThat(plan.argv()).containsExactly("cat", "-u", "x");
        assertThat(plan.directory()).isEqualTo(Path.of("/tmp"));
        assertThat(plan.stdin()).isEqualTo(Redirect.PIPE);
        assertThat(plan.stdout()).isEqualTo(Redirect.INHERIT);
        assertThat(plan.stderr()).isEqualTo(Redirect.TO_STDOUT);
        assertThat(plan.preservedFds()).containsExactly(Map.entry(3, 8), Map.entry(4, 9));
        assertThat(plan.newProcessGroup()).isTrue();
        assertThat(plan.newSession()).isFalse();
        assertThat(plan.jail()).isEqualTo(jail.toPlan());
        var session = ProcessSpec.of("ls").newSession().toPlan();
        assertThat(session.newSession()).isTrue();
        assertThat(session.newProcessGroup()).as("a session leader leads its group").isTrue();
        assertThat(ProcessSpec.of("ls").toPlan().jail()).isNull();
    }

    @Test
    void aNewProcessGroupInANewSessionChangesNothing() {
        ProcessSpec session = ProcessSpec.of("ls").newSession();
        assertThat(session.newProcessGroup()).isEqualTo(session);
        assertThat(ProcessSpec.of("ls").newProcessGroup().newSession()).isEqualTo(session);
        assertThat(session.newProcessGroup().toString()).contains("new session").doesNotContain("process group");
    }

    @Test
    void toStringShowsTheShapeButNoEnvironmentValues() {
        String text = ProcessSpec.of("ls", "-l").env("TOKEN", "secret").stdout(Redirect.PIPE).newProcessGroup()
                .toString();
        assertThat(text).contains("ls -l", "TOKEN", "stdout PIPE", "new process group").doesNotContain("secret");
    }
}
