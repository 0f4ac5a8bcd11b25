package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.JailSpec.FilesystemView;
import io.procwarden.JailSpec.Limit;
import io.procwarden.JailSpec.Namespace;
import io.procwarden.JailSpec.Resource;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The public spec value: immutability, validation, presets. Pure, no processes. */
class JailSpecTest {

    @Test
    void everyChangeReturnsANewSpec() {
        JailSpec none = JailSpec.none();
        JailSpec limited = none.limit(Resource.NOFILE, 10, 20);
        assertThat(none.limits()).isEmpty();
        assertThat(limited.limits()).containsEntry(Resource.NOFILE, new Limit(10, 20));
        assertThat(limited.limit(Resource.CPU, 5).limits()).hasSize(2);
        assertThat(limited.limits()).hasSize(1);
        assertThat(none.namespaces(Namespace.PID).namespaces()).containsExactly(Namespace.PID);
        assertThat(none.namespaces()).isEmpty();
        assertThat(none.usesBubblewrap()).isFalse();
        assertThat(none.usesCgroup()).isFalse();
    }

    @Test
    void equalSpecsAreEqual() {
        JailSpec a = JailSpec.none().limit(Resource.CORE, 0).pidsMax(10).namespaces(Namespace.NET, Namespace.PID);
        JailSpec b = JailSpec.none().namespaces(Namespace.PID, Namespace.NET).pidsMax(10).limit(Resource.CORE, 0);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(b.pidsMax(11));
    }

    @Test
    void valuesThatCanNeverWorkAreRejectedWhenSet() {
        assertThatThrownBy(() -> new Limit(5, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("soft 5");
        assertThatThrownBy(() -> JailSpec.none().limit(Resource.AS, -1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JailSpec.none().user(-1, 0)).hasMessageContaining("uid");
        assertThatThrownBy(() -> JailSpec.none().umask(01000)).hasMessageContaining("umask");
        assertThatThrownBy(() -> JailSpec.none().memoryMax(100)).hasMessageContaining("memory");
        assertThatThrownBy(() -> JailSpec.none().cpuQuota(500, 100_000)).hasMessageContaining("quota");
        assertThatThrownBy(() -> JailSpec.none().cpus(Double.NaN)).hasMessageContaining("cpus");
        assertThatThrownBy(() -> JailSpec.none().pidsMax(0)).hasMessageContaining("pids");
        assertThatThrownBy(() -> JailSpec.none().readOnlyBind(Path.of("relative"))).hasMessageContaining("absolute");
        assertThatThrownBy(() -> JailSpec.none().tmpfs(Path.of("/a\0b"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JailSpec.none().environmentAllowlist("A=B")).hasMessageContaining("A=B");
        assertThatThrownBy(() -> JailSpec.none().environmentAllowlist("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JailSpec.none().parentDeathSignal(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void cpusIsAQuotaPerHundredMilliseconds() {
        JailSpec s = JailSpec.none().cpus(1.5);
        assertThat(s.cpuQuotaMicros()).hasValue(150_000);
        assertThat(s.cpuPeriodMicros()).isEqualTo(100_000);
        assertThat(s.usesCgroup()).isTrue();
    }

    @Test
    void bubblewrapIsUsedForAnyNamespaceViewBindTmpfsOrDieWithParent() {
        assertThat(JailSpec.none().filesystem()).isEmpty();
        assertThat(JailSpec.none().tmpfs(Path.of("/tmp")).filesystem()).hasValue(FilesystemView.HOST);
        assertThat(JailSpec.none().dieWithParent().usesBubblewrap()).isTrue();
        assertThat(JailSpec.none().readOnlyBind(Path.of("/usr")).readOnlyBinds())
                .containsExactly(new JailSpec.Bind(Path.of("/usr"), Path.of("/usr")));
        assertThat(JailSpec.none().filesystem(FilesystemView.EMPTY).filesystem()).hasValue(FilesystemView.EMPTY);
    }

    @Test
    void presetsBuildOnEachOther() {
        JailSpec dev = JailSpec.development();
        assertThat(dev.isNoNewPrivileges()).isTrue();
        assertThat(dev.parentDeathSignal()).hasValue(Signal.KILL);
        assertThat(dev.usesBubblewrap()).isFalse();
        assertThat(dev.usesCgroup()).isFalse();

        JailSpec std = JailSpec.standard();
        assertThat(std.limits()).containsEntry(Resource.CORE, new Limit(0, 0)).containsEntry(Resource.NOFILE, new Limit(1024, 1024));
        assertThat(std.namespaces()).containsExactlyInAnyOrder(Namespace.PID, Namespace.IPC, Namespace.UTS);
        assertThat(std.isDieWithParent()).isTrue();
        assertThat(std.umask()).hasValue(0077);
        assertThat(std.environmentAllowlist().orElseThrow()).contains("PATH", "HOME").doesNotContain("LD_PRELOAD");
        assertThat(std.uid()).isEmpty();
        assertThat(std.usesCgroup()).isFalse();

        JailSpec max = JailSpec.maximum();
        assertThat(max.namespaces()).containsExactlyInAnyOrder(Namespace.values());
        assertThat(max.filesystem()).hasValue(FilesystemView.HOST_READ_ONLY);
        assertThat(max.tmpfs()).containsExactly(Path.of("/tmp"));
        assertThat(max.uid()).hasValue(65534);
        assertThat(max.gid()).hasValue(65534);
        assertThat(max.memoryMax()).hasValue(1L << 30);
        assertThat(max.pidsMax()).hasValue(256);
        assertThat(max.cpuQuotaMicros()).hasValue(100_000);
        assertThat(max.limits().get(Resource.NOFILE)).isEqualTo(new Limit(256, 256));
    }

    @Test
    void thePidFileIsMadeAbsolute() {
        assertThat(JailSpec.none().pidFile(Path.of("x.pid")).pidFile().orElseThrow()).isAbsolute();
    }

    @Test
    void accessorsAreUnmodifiable() {
        JailSpec s = JailSpec.none().limit(Resource.CPU, 1).namespaces(Namespace.PID).environmentAllowlist("A");
        assertThatThrownBy(() -> s.limits().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> s.namespaces().clear()).isInstanceOf(UnsupportedOperationException.class);
        Set<String> env = s.environmentAllowlist().orElseThrow();
        assertThatThrownBy(env::clear).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aMissingCapabilityIsNamed() {
        JailUnavailableException e = new JailUnavailableException("bubblewrap (bwrap)", "not found");
        assertThat(e.capability()).isEqualTo("bubblewrap (bwrap)");
        assertThat(e).hasMessage("jail needs bubblewrap (bwrap): not found");
    }
}
