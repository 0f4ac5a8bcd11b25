package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.JailSpec.FilesystemView;
import io.procwarden.JailSpec.Limit;
import io.procwarden.JailSpec.Namespace;
import io.procwarden.JailSpec.Resource;
import io.procwarden.internal.jail.JailPlan;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The public spec value: immutability, validation, presets, and the plan it resolves into. Pure, no processes. */
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
    void everySettingCountsForEquality() {
        // One spec per setting: each differs from none() and from every other (a setting the
        // value forgot would make two of them equal).
        List<JailSpec> one = List.of(
                JailSpec.none().limit(Resource.CPU, 1), JailSpec.none().noNewPrivileges(), JailSpec.none().user(1, 1),
                JailSpec.none().supplementaryGroups(1), JailSpec.none().clearSupplementaryGroups(), JailSpec.none().umask(0),
                JailSpec.none().parentDeathSignal(Signal.TERM), JailSpec.none().memoryMax(1 << 20),
                JailSpec.none().cpuQuota(1000, 100_000), JailSpec.none().cpuQuota(1000, 200_000), JailSpec.none().pidsMax(1),
                JailSpec.none().ownCgroup(), JailSpec.none().namespaces(Namespace.NET),
                JailSpec.none().filesystem(FilesystemView.EMPTY), JailSpec.none().readOnlyBind(Path.of("/usr")),
                JailSpec.none().tmpfs(Path.of("/tmp")), JailSpec.none().dieWithParent(),
                JailSpec.none().bubblewrap(Path.of("/usr/bin/bwrap")), JailSpec.none().environmentAllowlist("A"),
                JailSpec.none().pidFile(Path.of("/run/x.pid")));
        assertThat(new HashSet<>(one)).hasSize(one.size()).doesNotContain(JailSpec.none());
        for (JailSpec s : one) assertThat(s.toString()).startsWith("JailSpec[").isNotEqualTo(JailSpec.none().toString());
        assertThat(JailSpec.none().pidsMax(1).toString()).isEqualTo(JailSpec.none().pidsMax(1).toString());
    }

    @Test
    void groupsNotSetAreNotGroupsCleared() {
        assertThat(JailSpec.none().supplementaryGroups()).isEmpty();
        assertThat(JailSpec.none().clearSupplementaryGroups().supplementaryGroups()).contains(List.of());
        assertThat(JailSpec.none().supplementaryGroups(new int[0])).isEqualTo(JailSpec.none().clearSupplementaryGroups());
        assertThat(JailSpec.none().supplementaryGroups(3, 4).supplementaryGroups()).contains(List.of(3, 4));
        assertThat(JailSpec.none().user(1, 2).toPlan().credentials().groups()).as("not set").isNull();
        assertThat(JailSpec.none().clearSupplementaryGroups().toPlan().credentials().groups()).as("cleared").isEmpty();
    }

    @Test
    void thePlanHasNumbersAndNothingToInterpret() {
        JailSpec spec = JailSpec.none().limit(Resource.NOFILE, 10, 20).limit(Resource.AS, 5, JailSpec.Limit.UNLIMITED)
                .limit(Resource.CPU, 1).user(7, 8).supplementaryGroups(9).noNewPrivileges().parentDeathSignal(Signal.KILL)
                .umask(027).memoryMax(1 << 20).cpus(0.5).environmentAllowlist("PATH").pidFile(Path.of("/run/p.pid"))
                .namespaces(Namespace.PID).readOnlyBind(Path.of("/a"), Path.of("/b")).tmpfs(Path.of("/tmp"));
        JailPlan plan = spec.toPlan();
        assertThat(plan.rlimits()).containsExactly(new JailPlan.Rlimit(0, 1, 1), new JailPlan.Rlimit(7, 10, 20),
                new JailPlan.Rlimit(9, 5, -1)); // CPU, NOFILE, AS; UNLIMITED is RLIM_INFINITY
        assertThat(plan.credentials()).isEqualTo(new JailPlan.Credentials(true, 7, 8, List.of(9), Signal.KILL.number()));
        assertThat(plan.cgroup()).isEqualTo(new io.procwarden.internal.jail.cgroup.CgroupLimits(1L << 20, 50_000L, 100_000, null));
        assertThat(plan.sandbox()).isEqualTo(new JailPlan.Sandbox(Set.of(JailPlan.Namespace.PID), JailPlan.View.HOST,
                List.of(new JailPlan.Bind(Path.of("/a"), Path.of("/b"))), List.of(Path.of("/tmp")), false, null));
        assertThat(plan.environmentAllowlist()).containsExactly("PATH");
        assertThat(plan.umask()).isEqualTo(027);
        assertThat(plan.pidFile()).isEqualTo(Path.of("/run/p.pid"));
        assertThat(plan.pinnedToSpawnThread()).isTrue();

        JailPlan none = JailSpec.none().toPlan();
        assertThat(none).isEqualTo(JailPlan.NONE);
        assertThat(JailSpec.none().ownCgroup().toPlan().cgroup()).isEqualTo(io.procwarden.internal.jail.cgroup.CgroupLimits.NONE);
        assertThat(JailSpec.none().dieWithParent().toPlan().pinnedToSpawnThread()).isTrue();
    }

    @Test
    void aMissingCapabilityIsNamed() {
        JailUnavailableException e = new JailUnavailableException("bubblewrap (bwrap)", "not found");
        assertThat(e.capability()).isEqualTo("bubblewrap (bwrap)");
        assertThat(e).hasMessage("jail needs bubblewrap (bwrap): not found");
    }
}
