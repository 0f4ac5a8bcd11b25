package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.JailSpec;
import io.procwarden.JailSpec.Resource;
import io.procwarden.Signal;
import io.procwarden.testing.TestJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Credentials, no_new_privs and the whole spec at once, read by the target as its very first
 * action ({@code /bin/cat /proc/self/limits /proc/self/status /proc/self/cgroup}). Needs root.
 */
@EnabledOnOs(OS.LINUX)
class JailCredentialsTest {
    static JailFixture jail;

    @BeforeAll
    static void start() throws Exception {
        JailFixture.requireRoot();
        jail = new JailFixture();
    }

    @AfterAll
    static void stop() {
        if (jail != null) jail.close();
    }

    @Test
    void uidGidGroupsAndNoNewPrivs() throws Exception {
        JailSpec spec = JailSpec.none().user(1234, 2345).supplementaryGroups(3456, 4567).noNewPrivileges();
        JailFixture.Run r = jail.run(spec, "/bin/cat", "/proc/self/status");
        assertThat(JailFixture.status(r.output(), "Uid")).isEqualTo("1234 1234 1234 1234");
        assertThat(JailFixture.status(r.output(), "Gid")).isEqualTo("2345 2345 2345 2345");
        assertThat(JailFixture.status(r.output(), "Groups")).isEqualTo("3456 4567");
        assertThat(JailFixture.status(r.output(), "NoNewPrivs")).isEqualTo("1");
        assertThat(JailFixture.status(r.output(), "CapEff")).isEqualTo("0000000000000000");
    }

    @Test
    void aUidWithoutGroupsClearsThem() throws Exception {
        JailFixture.Run r = jail.run(JailSpec.none().user(65534, 65534), "/bin/cat", "/proc/self/status");
        assertThat(JailFixture.status(r.output(), "Uid")).isEqualTo("65534 65534 65534 65534");
        assertThat(JailFixture.status(r.output(), "Groups")).isEmpty();
        // not asked for: whatever this JVM has (1 under the seccomp test executions, which need it)
        String ours = JailFixture.status(new String(io.procwarden.internal.sys.ProcFs.readFile(Path.of("/proc/self/status"))), "NoNewPrivs");
        assertThat(JailFixture.status(r.output(), "NoNewPrivs")).isEqualTo(ours);
    }

    @Test
    void groupsNotSetAreKeptAndGroupsClearedAreCleared() throws Exception {
        // A JVM with supplementary groups, so that "kept" and "cleared" differ.
        List<String> command = new ArrayList<>(List.of("/usr/bin/setpriv", "--groups=4242,4343", "--"));
        command.addAll(TestJvm.command(JailGroupsHelper.class, List.of()));
        Process jvm = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out;
        try (var in = jvm.getInputStream()) {
            out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(JailFixture.TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            jvm.destroyForcibly();
        }
        assertThat(jvm.waitFor()).as("helper JVM exit; output:\n" + out).isZero();
        System.out.println("[jail] groups from a JVM in groups 4242,4343:\n" + out);
        assertThat(out.lines().map(String::strip).toList()).containsExactly(
                "unset 4242 4343", // not asked for: inherited
                "cleared", // clearSupplementaryGroups(): none at all
                "set 5151",
                "user"); // a uid change without groups clears them
    }

    @Test
    void theTargetsFirstReadSeesTheWholeSpec() throws Exception {
        Path pidFile = Files.createTempDirectory("procwarden-pidfile").resolve("child.pid");
        JailSpec spec = JailSpec.none()
                .limit(Resource.NOFILE, 32, 48)
                .limit(Resource.AS, 1L << 30)
                .limit(Resource.CORE, 0)
                .user(4321, 5432).supplementaryGroups(6543)
                .noNewPrivileges()
                .parentDeathSignal(Signal.KILL)
                .umask(0077)
                .memoryMax(256L << 20).pidsMax(64)
                .environmentAllowlist("PATH")
                .pidFile(pidFile);
        JailFixture.Run r = jail.run(spec, "/bin/cat", "/proc/self/limits", "/proc/self/status", "/proc/self/cgroup");
        System.out.println("[jail] chain: " + r.child().chain() + ", " + r.child().cgroup().orElseThrow().describe());
        String out = r.output();
        Map<String, String[]> limits = JailFixture.limits(out);
        assertThat(limits.get("Max open files")).containsExactly("32", "48");
        assertThat(limits.get("Max address space")).containsExactly("1073741824", "1073741824");
        assertThat(limits.get("Max core file size")).containsExactly("0", "0");
        assertThat(JailFixture.status(out, "Uid")).isEqualTo("4321 4321 4321 4321");
        assertThat(JailFixture.status(out, "Gid")).isEqualTo("5432 5432 5432 5432");
        assertThat(JailFixture.status(out, "Groups")).isEqualTo("6543");
        assertThat(JailFixture.status(out, "NoNewPrivs")).isEqualTo("1");
        assertThat(JailFixture.status(out, "Umask")).isEqualTo("0077");
        List<String> lines = out.lines().toList();
        for (String path : r.child().cgroup().orElseThrow().hierarchyPaths()) {
            assertThat(lines).anySatisfy(l -> assertThat(l).endsWith(":" + path));
        }
        // The pid file named the child while it ran, and is gone now that it has ended.
        assertThat(r.child().pidFileIdentity().orElseThrow().pid()).isEqualTo(r.child().pid());
        assertThat(pidFile).doesNotExist();
        Files.delete(pidFile.getParent());
    }

    @Test
    void thePidFileIsWrittenBeforeTheTargetRuns() throws Exception {
        Path dir = Files.createTempDirectory("procwarden-pidfile");
        Path pidFile = dir.resolve("child.pid");
        try (JailFixture.Talk t = jail.new Talk(JailSpec.none().pidFile(pidFile), "/bin/cat", pidFile.toString(), "-")) {
            String line = t.awaitLine();
            assertThat(line).isEqualTo(t.child.pidFileIdentity().orElseThrow().toPidFileLine());
            assertThat(io.procwarden.ProcessIdentity.parse(line))
                    .isEqualTo(io.procwarden.ProcessIdentity.of(t.child.pid()).orElseThrow());
        }
        assertThat(pidFile).doesNotExist();
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).as("no temporary file left").isEmpty();
        }
        Files.delete(dir);
    }
}
