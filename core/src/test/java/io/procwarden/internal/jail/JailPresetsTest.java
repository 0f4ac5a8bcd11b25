package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.JailSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The three presets, each run for real and checked from inside. Needs bwrap; maximum() needs root. */
@EnabledOnOs(OS.LINUX)
class JailPresetsTest {
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

    private static final String[] SELF = {"/bin/cat", "/proc/self/limits", "/proc/self/status", "/proc/self/cgroup"};

    @Test
    void development() throws Exception {
        JailFixture.Run r = jail.run(JailSpec.development(), SELF);
        System.out.println("[jail] development(): " + r.child().chain());
        assertThat(JailFixture.status(r.output(), "NoNewPrivs")).isEqualTo("1");
        assertThat(r.child().cgroup()).isEmpty();
    }

    @Test
    void standard() throws Exception {
        JailFixture.Run r = jail.run(JailSpec.standard(), SELF);
        System.out.println("[jail] standard(): " + r.child().chain());
        Map<String, String[]> l = JailFixture.limits(r.output());
        assertThat(l.get("Max open files")).containsExactly("1024", "1024");
        assertThat(l.get("Max core file size")).containsExactly("0", "0");
        assertThat(l.get("Max file size")).containsExactly("1073741824", "1073741824");
        assertThat(JailFixture.status(r.output(), "NoNewPrivs")).isEqualTo("1");
        assertThat(JailFixture.status(r.output(), "Umask")).isEqualTo("0077");
        // In its PID namespace the target is pid 2 (bwrap's init is 1), its environment allowlisted.
        assertThat(jail.run(JailSpec.standard(), "/bin/sh", "-c", "echo $$").output()).isEqualTo("2\n");
        List<String> names = jail.run(JailSpec.standard(), "/usr/bin/env").output().lines()
                .map(x -> x.substring(0, x.indexOf('='))).toList();
        // bwrap itself sets PWD (to the working directory, which getcwd gives anyway): documented.
        java.util.Set<String> allowed = new java.util.HashSet<>(JailSpec.standard().environmentAllowlist().orElseThrow());
        allowed.add("PWD");
        assertThat(names).isNotEmpty().isSubsetOf(allowed);
    }

    @Test
    void maximum() throws Exception {
        JailFixture.requireRoot();
        JailFixture.Run r = jail.run(JailSpec.maximum(), SELF);
        System.out.println("[jail] maximum(): " + r.child().chain() + ", " + r.child().cgroup().orElseThrow().describe());
        String out = r.output();
        Map<String, String[]> l = JailFixture.limits(out);
        assertThat(l.get("Max open files")).containsExactly("256", "256");
        assertThat(l.get("Max address space")).containsExactly("4294967296", "4294967296");
        assertThat(l.get("Max processes")).containsExactly("256", "256");
        assertThat(JailFixture.status(out, "Uid")).isEqualTo("65534 65534 65534 65534");
        assertThat(JailFixture.status(out, "Gid")).isEqualTo("65534 65534 65534 65534");
        assertThat(JailFixture.status(out, "NoNewPrivs")).isEqualTo("1");
        assertThat(JailFixture.status(out, "CapEff")).isEqualTo("0000000000000000");
        // The cgroup line as seen inside: bwrap keeps the host's cgroup namespace.
        List<String> lines = out.lines().toList();
        for (String path : r.child().cgroup().orElseThrow().hierarchyPaths()) {
            assertThat(lines).anySatisfy(x -> assertThat(x).endsWith(":" + path));
        }
        JailFixture.Run sh = jail.run(JailSpec.maximum(), "/bin/sh", "-c",
                "grep -c : /proc/net/dev; { echo x > /etc/procwarden-x; } 2>/dev/null || echo ro; echo y > /tmp/y && cat /tmp/y");
        assertThat(sh.output().lines().toList()).containsExactly("1", "ro", "y").as(sh.output());
    }
}
