package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.ExitStatus;
import io.procwarden.JailSpec;
import io.procwarden.JailSpec.FilesystemView;
import io.procwarden.JailSpec.Namespace;
import io.procwarden.JailUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Namespaces and the file system view through bubblewrap, asserted from inside the sandbox.
 * Needs bwrap (asserted: scripts/ci-prereqs.sh installs it) and root for the uid test.
 */
@EnabledOnOs(OS.LINUX)
class JailBubblewrapTest {
    static JailFixture jail;

    @BeforeAll
    static void start() throws Exception {
        JailFixture.requireBwrap();
        jail = new JailFixture();
    }

    @AfterAll
    static void stop() {
        if (jail != null) jail.close();
    }

    private static String ns(String which) throws Exception {
        return Files.readSymbolicLink(Path.of("/proc/self/ns", which)).toString();
    }

    @Test
    void everyNamespaceIsNew() throws Exception {
        JailSpec spec = JailSpec.none().namespaces(Namespace.USER, Namespace.PID, Namespace.IPC, Namespace.UTS, Namespace.NET);
        JailFixture.Run r = jail.run(spec, "/bin/sh", "-c",
                "for n in user pid ipc uts net; do readlink /proc/self/ns/$n; done; echo pid=$$");
        System.out.println("[jail] chain: " + r.child().chain() + "\n" + r.output());
        List<String> inside = r.output().lines().toList();
        assertThat(inside).hasSize(6);
        String[] names = {"user", "pid", "ipc", "uts", "net"};
        for (int i = 0; i < names.length; i++) {
            assertThat(inside.get(i)).startsWith(names[i] + ":[").isNotEqualTo(ns(names[i]));
        }
        // bwrap's own init is pid 1 in the namespace; the target is its child
        assertThat(inside.get(5)).isIn("pid=1", "pid=2");
    }

    @Test
    void onlyStdioAndACleanSignalStateReachTheSandboxedTarget() throws Exception {
        JailSpec spec = JailSpec.none().noNewPrivileges().namespaces(Namespace.PID, Namespace.IPC).dieWithParent();
        JailFixture.Run r = jail.run(spec, "/bin/sh", "-c", "ls /proc/self/fd; cat /proc/self/status");
        String fds = r.output().substring(0, r.output().indexOf("Name:"));
        assertThat(fds.trim().split("\\s+")).as("ls's own directory is 3").containsExactly("0", "1", "2", "3");
        assertThat(JailFixture.status(r.output(), "SigBlk")).isEqualTo("0000000000000000");
        assertThat(JailFixture.status(r.output(), "SigIgn")).isEqualTo("0000000000000000");
    }

    @Test
    void aPidNamespaceShowsOnlyTheSandbox() throws Exception {
        JailFixture.Run r = jail.run(JailSpec.none().namespaces(Namespace.PID), "/bin/sh", "-c",
                "echo $$; ls /proc | grep -c '^[0-9]*$'");
        List<String> lines = r.output().lines().toList();
        assertThat(lines.get(0)).isIn("1", "2");
        assertThat(Integer.parseInt(lines.get(1))).as("processes visible: bwrap init, sh, ls").isLessThanOrEqualTo(4);
    }

    @Test
    void aNetworkNamespaceHasOnlyLoopback() throws Exception {
        JailFixture.Run r = jail.run(JailSpec.none().namespaces(Namespace.NET), "/bin/cat", "/proc/net/dev");
        List<String> interfaces = r.output().lines().filter(l -> l.contains(":"))
                .map(l -> l.substring(0, l.indexOf(':')).trim()).toList();
        assertThat(interfaces).containsExactly("lo");
    }

    @Test
    void aReadOnlyBindIsReadOnly(@TempDir Path dir) throws Exception {
        Path inside = dir.resolve("f");
        JailFixture.Run r = jail.run(JailSpec.none().readOnlyBind(dir), "/bin/sh", "-c",
                "echo x > " + inside + " || echo refused; cat " + dir.resolve("existing"));
        assertThat(r.output()).contains("Read-only file system").contains("refused");
        assertThat(inside).doesNotExist();
        Files.writeString(dir.resolve("existing"), "readable\n");
        assertThat(jail.run(JailSpec.none().readOnlyBind(dir), "/bin/cat", dir.resolve("existing").toString()).output())
                .isEqualTo("readable\n");
    }

    @Test
    void aReadOnlyHostWithAPrivateTmpfs() throws Exception {
        String name = "procwarden-tmpfs-" + ProcessHandle.current().pid();
        JailSpec spec = JailSpec.none().filesystem(FilesystemView.HOST_READ_ONLY).tmpfs(Path.of("/tmp"));
        JailFixture.Run r = jail.run(spec, "/bin/sh", "-c",
                "ls -A /tmp | wc -l; echo hi > /tmp/" + name + " && cat /tmp/" + name
                        + "; echo x > /" + name + " || echo root-refused");
        List<String> lines = r.output().lines().toList();
        assertThat(lines.get(0).trim()).as("the tmpfs starts empty").isEqualTo("0");
        assertThat(lines).contains("hi", "root-refused");
        assertThat(Path.of("/tmp", name)).as("the host's /tmp is untouched").doesNotExist();
        assertThat(Path.of("/", name)).doesNotExist();
    }

    @Test
    void droppedUidWithNamespaces() throws Exception {
        JailFixture.requireRoot();
        JailSpec spec = JailSpec.none().user(65534, 65534).noNewPrivileges().namespaces(Namespace.PID, Namespace.NET);
        JailFixture.Run r = jail.run(spec, "/bin/sh", "-c", "echo pid=$$; cat /proc/self/status");
        System.out.println("[jail] chain: " + r.child().chain());
        assertThat(r.output()).startsWith("pid=");
        assertThat(JailFixture.status(r.output(), "Uid")).isEqualTo("65534 65534 65534 65534");
        assertThat(JailFixture.status(r.output(), "NoNewPrivs")).isEqualTo("1");
        assertThat(JailFixture.status(r.output(), "CapEff")).isEqualTo("0000000000000000");
    }

    @Test
    void aSignalDeathInsideIsReportedByBwrapAs128PlusN() throws Exception {
        // bwrap stays the parent in a PID namespace and exits with 128+N: documented in JailSpec.
        JailFixture.Run r = jail.run(JailSpec.none().namespaces(Namespace.PID), "/bin/sh", "-c", "kill -KILL $$");
        assertThat(r.outcome().status()).isEqualTo(new ExitStatus.Exited(137));
    }

    @Test
    void aMissingBwrapFailsNamingIt() throws Exception {
        long fds = io.procwarden.testing.Children.openFds();
        Path nowhere = Path.of("/nonexistent/procwarden/bwrap");
        assertThat(JailFixture.jailFailure(() -> jail.run(JailSpec.none().namespaces(Namespace.PID).bubblewrap(nowhere), "/bin/true")))
                .isInstanceOfSatisfying(JailUnavailableException.class, e -> {
                    assertThat(e.capability()).isEqualTo("bubblewrap (bwrap)");
                    assertThat(e.getMessage()).contains(nowhere.toString()).contains("set by the spec");
                });
        String old = System.getProperty(JailHost.BWRAP_PROPERTY);
        System.setProperty(JailHost.BWRAP_PROPERTY, nowhere.toString());
        try {
            assertThatThrownBy(() -> JailSpec.none().dieWithParent().checkSupported())
                    .isInstanceOf(JailUnavailableException.class)
                    .hasMessageContaining("system property " + JailHost.BWRAP_PROPERTY).hasMessageContaining(nowhere.toString());
        } finally {
            if (old == null) System.clearProperty(JailHost.BWRAP_PROPERTY);
            else System.setProperty(JailHost.BWRAP_PROPERTY, old);
        }
        assertThat(io.procwarden.testing.Children.openFds()).isEqualTo(fds);
        assertThat(JailFixture.ourChildren()).isEmpty();
    }
}
