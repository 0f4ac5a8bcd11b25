package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.ExitStatus;
import io.procwarden.JailSpec;
import io.procwarden.JailUnavailableException;
import io.procwarden.Signal;
import io.procwarden.internal.jail.cgroup.Cgroups;
import io.procwarden.internal.sys.ProcStat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * cgroup placement, limits that bite, signals to the whole cgroup and teardown, on every cgroup
 * mechanism this host offers (v1 here, and v2 for placement; v2 with controllers on pure-v2
 * hosts such as GitHub's runners): each test runs once per mechanism with {@link Cgroups#PROPERTY}
 * forced. Needs root (or a delegated cgroup): asserted, not assumed.
 */
@EnabledOnOs(OS.LINUX)
class JailCgroupTest {
    static JailFixture jail;

    static final JailSpec LIMITS = JailSpec.none().memoryMax(64L << 20).cpus(0.5).pidsMax(32);

    @BeforeAll
    static void start() throws Exception {
        JailFixture.requireRoot();
        jail = new JailFixture();
        System.out.println("[jail] cgroup mechanisms with memory, cpu, pids here: " + limitVersions().toList()
                + "; for placement only: " + placementVersions().toList() + "; layout " + Cgroups.layout());
    }

    @AfterAll
    static void stop() {
        if (jail != null) jail.close();
    }

    /** The mechanisms that can give memory, cpu and pids limits here; none at all fails the test. */
    static Stream<Cgroups.Version> limitVersions() throws Exception {
        return usable(LIMITS, "memory, cpu and pids");
    }

    static Stream<Cgroups.Version> placementVersions() throws Exception {
        return usable(JailSpec.none().ownCgroup(), "a writable cgroup");
    }

    private static Stream<Cgroups.Version> usable(JailSpec spec, String what) throws Exception {
        List<Cgroups.Version> ok = new ArrayList<>();
        List<String> why = new ArrayList<>();
        for (Cgroups.Version v : List.of(Cgroups.Version.V2, Cgroups.Version.V1)) {
            try {
                forced(v, () -> {
                    spec.checkSupported();
                    return null;
                });
                ok.add(v);
            } catch (JailUnavailableException e) {
                why.add(v + ": " + e.getMessage());
            }
        }
        assertThat(ok).as("no cgroup mechanism offers " + what + " here: " + why).isNotEmpty();
        if (!why.isEmpty()) System.out.println("[jail] not on this host: " + why);
        return ok.stream();
    }

    static <T> T forced(Cgroups.Version v, Callable<T> action) throws Exception {
        String old = System.getProperty(Cgroups.PROPERTY);
        System.setProperty(Cgroups.PROPERTY, v.name().toLowerCase(java.util.Locale.ROOT));
        try {
            return action.call();
        } finally {
            if (old == null) System.clearProperty(Cgroups.PROPERTY);
            else System.setProperty(Cgroups.PROPERTY, old);
        }
    }

    /** Runs, and checks afterwards that none of our cgroup directories is left. */
    static JailFixture.Run run(Cgroups.Version v, JailSpec spec, String... argv) throws Exception {
        JailFixture.Run r = forced(v, () -> jail.run(spec, argv));
        assertNoneLeft(r.child());
        return r;
    }

    static void assertNoneLeft(JailedChild c) throws Exception {
        List<Path> dirs = c.cgroup().orElseThrow().directories();
        assertThat(dirs).allSatisfy(d -> assertThat(d).doesNotExist());
        assertThat(JailFixture.procwardenDirs(dirs.stream().map(Path::getParent).toList())).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("limitVersions")
    void theTargetStartsInItsCgroup(Cgroups.Version v) throws Exception {
        JailFixture.Run r = run(v, LIMITS, "/bin/cat", "/proc/self/cgroup");
        System.out.println("[jail] " + v + " " + r.child().cgroup().orElseThrow().describe() + "\n" + r.output());
        List<String> lines = r.output().lines().toList();
        for (String path : r.child().cgroup().orElseThrow().hierarchyPaths()) {
            assertThat(lines).anySatisfy(l -> assertThat(l).endsWith(":" + path));
        }
        assertThat(r.outcome().status()).isEqualTo(new ExitStatus.Exited(0));
    }

    @ParameterizedTest
    @MethodSource("limitVersions")
    void theLimitsAreThoseOfTheSpec(Cgroups.Version v) throws Exception {
        Cgroups.Layout l = Cgroups.layout();
        String script;
        if (v == Cgroups.Version.V2) {
            String dir = l.v2().mountPoint() + "$(grep '^0::' /proc/self/cgroup | cut -d: -f3)";
            script = "d=" + dir + "; cat $d/memory.max $d/cpu.max $d/pids.max";
        } else {
            script = "for c in memory cpu pids; do eval d_$c=$(grep \":$c[:,]\\|,$c:\" /proc/self/cgroup | cut -d: -f3); done; "
                    + "cat " + l.v1().get("memory").mountPoint() + "$d_memory/memory.limit_in_bytes "
                    + l.v1().get("cpu").mountPoint() + "$d_cpu/cpu.cfs_quota_us "
                    + l.v1().get("cpu").mountPoint() + "$d_cpu/cpu.cfs_period_us "
                    + l.v1().get("pids").mountPoint() + "$d_pids/pids.max";
        }
        JailFixture.Run r = run(v, LIMITS, "/bin/sh", "-c", script);
        List<String> values = r.output().lines().toList();
        if (v == Cgroups.Version.V2) {
            assertThat(values).containsExactly("67108864", "50000 100000", "32");
        } else {
            assertThat(values).containsExactly("67108864", "50000", "100000", "32");
        }
    }

    @ParameterizedTest
    @MethodSource("limitVersions")
    void exceedingMemoryIsKilledAndReportedAsOom(Cgroups.Version v) throws Exception {
        // tail keeps /dev/zero's endless "line" in memory.
        JailFixture.Run r = run(v, JailSpec.none().memoryMax(32L << 20), "/usr/bin/tail", "/dev/zero");
        System.out.println("[jail] " + v + " memory 32 MiB: " + r.outcome());
        assertThat(r.outcome().status()).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(r.outcome().oomKills()).as("oom_kill count (-1: not reported by this kernel)").isNotZero();
        if (r.outcome().oomKills() > 0) assertThat(r.outcome().oomKills()).isEqualTo(1);
        // the containment reports the same count once the child has ended
        if (r.outcome().oomKills() > 0) assertThat(r.child().oomKills()).hasValue(r.outcome().oomKills());
        assertThat(r.child().teardownFailure()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("limitVersions")
    void aForkBombStopsAtPidsMax(Cgroups.Version v) throws Exception {
        JailSpec spec = JailSpec.none().pidsMax(16);
        List<Integer> members;
        JailedChild child;
        try (JailFixture.Talk t = forced(v, () -> jail.new Talk(spec, "/bin/sh", "-c",
                "sh -c 'i=0; while :; do sleep 1000 & i=$((i+1)); done' 2>/dev/null; echo bomb-done; read x"))) {
            child = t.child;
            assertThat(t.awaitLine()).isEqualTo("bomb-done");
            members = child.cgroup().orElseThrow().pids();
            System.out.println("[jail] " + v + " pids.max 16: " + members.size() + " processes in the cgroup");
            assertThat(members.size()).isBetween(2, 16);
        }
        // close() killed the cgroup and waited for the cleanup: nothing of it runs, no directory is left.
        assertNoneLeft(child);
        for (int pid : members) {
            assertThat(ProcStat.read(pid).map(ProcStat::hasExited).orElse(true)).as("pid " + pid + " is gone").isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("limitVersions")
    void aCpuQuotaThrottles(Cgroups.Version v) throws Exception {
        Cgroups.Layout l = Cgroups.layout();
        String stat = v == Cgroups.Version.V2
                ? l.v2().mountPoint() + "$(grep '^0::' /proc/self/cgroup | cut -d: -f3)/cpu.stat"
                : l.v1().get("cpu").mountPoint() + "$(grep ':cpu[:,]\\|,cpu:' /proc/self/cgroup | cut -d: -f3)/cpu.stat";
        // Burn CPU until the kernel reports throttling: with 10% of a CPU that is the first period.
        JailFixture.Run r = run(v, JailSpec.none().cpus(0.1), "/bin/sh", "-c",
                "f=" + stat + "; while grep -q '^nr_throttled 0$' $f; do :; done; grep nr_throttled $f");
        assertThat(r.output()).startsWith("nr_throttled ").doesNotContain("nr_throttled 0\n");
    }

    @ParameterizedTest
    @MethodSource("placementVersions")
    void whatTheChildLeavesBehindDiesWithIt(Cgroups.Version v) throws Exception {
        JailedChild child;
        int daemon;
        try (JailFixture.Talk t = forced(v, () -> jail.new Talk(JailSpec.none().ownCgroup(), "/bin/sh", "-c",
                "sleep 1000 </dev/null >/dev/null 2>&1 & echo $!"))) {
            child = t.child;
            daemon = Integer.parseInt(t.awaitLine());
            assertThat(t.awaitExit().status()).isEqualTo(new ExitStatus.Exited(0));
        }
        System.out.println("[jail] " + v + " " + child.cgroup().orElseThrow().describe() + ": daemon " + daemon + " killed at exit");
        assertThat(ProcStat.read(daemon).map(ProcStat::hasExited).orElse(true)).as("the daemon is gone").isTrue();
        assertNoneLeft(child);
    }

    @ParameterizedTest
    @MethodSource("placementVersions")
    void aSignalToTheContainmentReachesEveryMember(Cgroups.Version v) throws Exception {
        // A background subshell (not the child we spawned) says when its TERM trap is set, and
        // that the TERM sent to the cgroup reached it; the child itself (cat) dies of it.
        JailedChild child;
        try (JailFixture.Talk t = forced(v, () -> jail.new Talk(JailSpec.none().ownCgroup(), "/bin/sh", "-c",
                "(trap 'echo daemon-got-TERM; exit 0' TERM; echo daemon-ready; sleep 1000 & wait) & exec cat"))) {
            child = t.child;
            assertThat(t.awaitLine()).isEqualTo("daemon-ready");
            assertThat(child.signalAll(Signal.TERM.number())).isTrue();
            assertThat(t.awaitLine()).isEqualTo("daemon-got-TERM");
            assertThat(t.awaitExit().status()).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
        }
        System.out.println("[jail] " + v + " " + child.describe() + ": SIGTERM reached the cgroup");
        assertThat(child.signalAll(Signal.KILL.number())).as("nothing left to signal after the teardown").isFalse();
        assertThat(child.teardownFailure()).isEmpty();
        assertNoneLeft(child);
    }

    @Test
    void aControllerTheHostLacksFailsNamingIt() throws Exception {
        Cgroups.Layout l = Cgroups.layout();
        boolean v2HasMemory = l.v2() != null
                && Files.readString(l.v2().dirOf(l.ownV2()).resolve("cgroup.controllers")).contains("memory");
        if (v2HasMemory) {
            // pure v2 host: ask v1 instead, which is not there
            assertThat(JailFixture.jailFailure(() -> forced(Cgroups.Version.V1, () -> jail.run(JailSpec.none().memoryMax(1 << 24), "/bin/true"))))
                    .isInstanceOf(JailUnavailableException.class).hasMessageContaining("memory");
        } else {
            assertThat(JailFixture.jailFailure(() -> forced(Cgroups.Version.V2, () -> jail.run(JailSpec.none().memoryMax(1 << 24), "/bin/true"))))
                    .isInstanceOfSatisfying(JailUnavailableException.class,
                            e -> assertThat(e.capability()).isEqualTo("cgroup v2 controllers memory"));
        }
        assertThat(JailFixture.ourChildren()).isEmpty();
    }

    @Test
    void anInvalidMechanismPropertyFailsFast() {
        String old = System.getProperty(Cgroups.PROPERTY);
        System.setProperty(Cgroups.PROPERTY, "v3");
        try {
            assertThatThrownBy(Cgroups::version).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("v3");
        } finally {
            if (old == null) System.clearProperty(Cgroups.PROPERTY);
            else System.setProperty(Cgroups.PROPERTY, old);
        }
    }
}
