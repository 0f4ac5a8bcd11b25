package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.JailSpec;
import io.procwarden.JailSpec.Resource;
import io.procwarden.SyscallException;
import io.procwarden.internal.jail.cgroup.Cgroups;
import io.procwarden.testing.Children;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every way a jailed spawn can fail after the stub started: each throws (through the public
 * path, a SpawnException carrying the jail's exception), and leaves no descriptor, child
 * (running or zombie), cgroup directory or pid file behind. Needs root (cgroup).
 */
@EnabledOnOs(OS.LINUX)
class JailFailureTest {
    static JailFixture jail;

    @BeforeAll
    static void start() throws Exception {
        JailFixture.requireRoot();
        jail = new JailFixture();
        // Warm up: the first cleanup starts the JDK's virtual-thread machinery, whose descriptors
        // (poller) are not ours to count.
        Path warm = Files.createTempDirectory("procwarden-warm");
        jail.run(JailSpec.none().ownCgroup().pidFile(warm.resolve("p")), "/bin/true");
        Files.delete(warm);
    }

    @AfterAll
    static void stop() {
        if (jail != null) jail.close();
    }

    @AfterEach
    void noFaults() {
        JailLauncher.hook = JailLauncher.NO_HOOK;
    }

    private record Before(long fds, List<Path> cgroupParents) {}

    private static Before before() throws Exception {
        assertThat(JailFixture.ourChildren()).as("no child before the test").isEmpty();
        Cgroups.Layout l = Cgroups.layout();
        List<Path> parents = new java.util.ArrayList<>();
        if (l.v2() != null) {
            // v2 cgroups may go under an ancestor of ours (the nearest one that delegates controllers)
            for (Path p = l.v2().dirOf(l.ownV2()); p != null && p.startsWith(l.v2().mountPoint()); p = p.getParent()) parents.add(p);
        }
        for (String c : List.of("memory", "pids", "cpu", "freezer")) {
            if (l.v1().containsKey(c)) parents.add(l.v1().get(c).dirOf(l.ownV1().get(c)));
        }
        return new Before(Children.openFds(), parents);
    }

    private static void nothingLeft(Before b, Path pidFile) throws Exception {
        assertThat(JailFixture.ourChildren()).as("children (running or zombie)").isEmpty();
        assertThat(Children.openFds()).as("open descriptors").isEqualTo(b.fds());
        assertThat(JailFixture.procwardenDirs(b.cgroupParents())).as("cgroup directories").isEmpty();
        if (pidFile != null) {
            assertThat(pidFile).doesNotExist();
            try (var s = Files.list(pidFile.getParent())) {
                assertThat(s.toList()).as("temporary pid files").isEmpty();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(JailLauncher.Step.class)
    void aFailureAtEveryStepCleansUp(JailLauncher.Step step, @TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("child.pid");
        JailSpec spec = JailSpec.none().limit(Resource.NOFILE, 64).ownCgroup().pidsMax(8).pidFile(pidFile);
        Before b = before();
        JailLauncher.hook = (s, child) -> {
            if (s == step) throw new IOException("injected at " + s);
        };
        assertThat(JailFixture.jailFailure(() -> jail.run(spec, "/bin/sleep", "1000")))
                .isInstanceOf(IOException.class).hasMessage("injected at " + step);
        nothingLeft(b, pidFile);
    }

    @Test
    void aRefusedHardLimitNamesWhatIsMissing() throws Exception {
        Before b = before();
        if (JailHost.hasCapability(JailHost.CAP_SYS_RESOURCE)) {
            // NOFILE above /proc/sys/fs/nr_open is refused even with CAP_SYS_RESOURCE: prlimit fails after the spawn.
            long nrOpen = Long.parseLong(new String(io.procwarden.internal.sys.ProcFs.readFile(
                    Path.of("/proc/sys/fs/nr_open")), java.nio.charset.StandardCharsets.US_ASCII).trim());
            assertThat(JailFixture.jailFailure(() -> jail.run(JailSpec.none().limit(Resource.NOFILE, nrOpen + 1).ownCgroup(), "/bin/true")))
                    .isInstanceOfSatisfying(SyscallException.class, e -> {
                        assertThat(e.errnoName()).isEqualTo("EPERM");
                        assertThat(e.getMessage()).contains("prlimit(").contains("RLIMIT_NOFILE").contains("soft=" + (nrOpen + 1));
                    });
        } else {
            // Root without CAP_SYS_RESOURCE (as in some containers): refused before anything starts.
            long hard = io.procwarden.internal.ffi.Prlimit.get(0, io.procwarden.internal.ffi.Prlimit.RLIMIT_NOFILE).hard();
            assertThat(JailFixture.jailFailure(() -> jail.run(JailSpec.none().limit(Resource.NOFILE, hard + 1).ownCgroup(), "/bin/true")))
                    .isInstanceOfSatisfying(io.procwarden.JailUnavailableException.class,
                            e -> assertThat(e.capability()).isEqualTo("CAP_SYS_RESOURCE to raise a hard limit"));
        }
        nothingLeft(b, null);
    }

    @Test
    void aCgroupThatVanishedFailsAtAttachNamingTheFile() throws Exception {
        Before b = before();
        // Someone removes our (still empty) cgroup between its creation and the attach.
        JailLauncher.hook = (s, child) -> {
            if (s == JailLauncher.Step.SPAWNED) {
                for (Path d : lastCgroupDirs(b)) Files.delete(d);
            }
        };
        assertThat(JailFixture.jailFailure(() -> jail.run(JailSpec.none().ownCgroup(), "/bin/true")))
                .isInstanceOf(IOException.class).hasMessageContaining("cgroup.procs").hasMessageContaining("cannot write");
        nothingLeft(b, null);
    }

    /** The procwarden cgroup directories that exist right now (made by the spawn in progress). */
    private static List<Path> lastCgroupDirs(Before b) throws IOException {
        return JailFixture.procwardenDirs(b.cgroupParents());
    }

    @Test
    void anUnwritablePidFileCleansUpAndNamesIt() throws Exception {
        Path pidFile = Path.of("/nonexistent-procwarden-dir/child.pid");
        Before b = before();
        assertThat(JailFixture.jailFailure(() -> jail.run(JailSpec.none().ownCgroup().pidFile(pidFile), "/bin/true")))
                .isInstanceOf(IOException.class).hasMessageContaining("cannot write pid file " + pidFile);
        nothingLeft(b, null);
    }

    @Test
    void aMissingOrNonExecutableTargetFailsBeforeAnythingStarts(@TempDir Path dir) throws Exception {
        Before b = before();
        assertThat(JailFixture.jailFailure(() -> jail.run(JailSpec.none().ownCgroup(), "/nonexistent/procwarden-target")))
                .isInstanceOfSatisfying(SyscallException.class, e -> {
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                    assertThat(e.getMessage()).contains("/nonexistent/procwarden-target");
                });
        Path notExecutable = Files.createFile(dir.resolve("script"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-r--r--")));
        assertThat(JailFixture.jailFailure(() -> jail.run(JailSpec.none(), notExecutable.toString())))
                .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errnoName()).isEqualTo("EACCES"));
        nothingLeft(b, null);
    }

    @Test
    void aTargetMissingInsideTheSandboxIsReportedByBwrap() throws Exception {
        // Behind bwrap the target is only looked up inside the sandbox: the tool reports it.
        JailFixture.requireBwrap();
        JailFixture.Run r = jail.run(JailSpec.none().namespaces(JailSpec.Namespace.UTS), "/nonexistent/procwarden-target");
        assertThat(r.outcome().status()).isEqualTo(new io.procwarden.ExitStatus.Exited(1));
        assertThat(r.output()).contains("/nonexistent/procwarden-target");
    }
}
