package io.procwarden.internal.jail.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Finding the hierarchies and our place in them, from /proc text. Pure. */
class JailCgroupsParseTest {

    static final String HYBRID_MOUNTS = """
            30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
            40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    static final String HYBRID_SELF = """
            9:name=systemd:/user.slice
            8:pids:/user.slice/u
            4:memory:/process_api/abc
            2:cpu,cpuacct:/
            0::/user.slice/u
            """;

    @Test
    void aHybridHost() {
        Cgroups.Layout l = Cgroups.parse(HYBRID_MOUNTS, HYBRID_SELF);
        assertThat(l.v2().mountPoint()).isEqualTo(Path.of("/sys/fs/cgroup/unified"));
        assertThat(l.ownV2()).isEqualTo("/user.slice/u");
        assertThat(l.v1()).containsOnlyKeys("cpu", "cpuacct", "memory", "pids");
        assertThat(l.v1().get("cpu")).isSameAs(l.v1().get("cpuacct"));
        assertThat(l.ownV1()).containsEntry("memory", "/process_api/abc").containsEntry("cpuacct", "/");
        assertThat(l.v1().get("memory").dirOf("/process_api/abc")).isEqualTo(Path.of("/sys/fs/cgroup/memory/process_api/abc"));
    }

    @Test
    void aPureV2Host() {
        Cgroups.Layout l = Cgroups.parse("25 21 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
                "0::/system.slice/runner.service\n");
        assertThat(l.v1()).isEmpty();
        assertThat(l.v2().dirOf(l.ownV2())).isEqualTo(Path.of("/sys/fs/cgroup/system.slice/runner.service"));
        assertThat(l.v2().dirOf("/")).isEqualTo(Path.of("/sys/fs/cgroup"));
    }

    @Test
    void aContainerWithABindMountedSubtree() {
        // The mount's root is our cgroup: paths are made relative to it, and anything else is outside.
        Cgroups.Mount m = Cgroups.parse("1 0 0:9 /docker/c1 /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n", "0::/docker/c1\n").v2();
        assertThat(m.dirOf("/docker/c1")).isEqualTo(Path.of("/sys/fs/cgroup"));
        assertThat(m.dirOf("/docker/c1/x")).isEqualTo(Path.of("/sys/fs/cgroup/x"));
        assertThat(m.dirOf("/docker/c2")).isNull();
        assertThat(Cgroups.hierarchyPath(m, Path.of("/sys/fs/cgroup/procwarden-1-2"))).isEqualTo("/docker/c1/procwarden-1-2");
        assertThat(Cgroups.hierarchyPath(Cgroups.parse(HYBRID_MOUNTS, HYBRID_SELF).v2(),
                Path.of("/sys/fs/cgroup/unified/a/b"))).isEqualTo("/a/b");
    }

    @Test
    void mountinfoEscapes() {
        assertThat(Cgroups.unescape("/a\\040b\\134c")).isEqualTo("/a b\\c");
        Cgroups.Layout l = Cgroups.parse("40 30 0:37 / /mnt/cg\\040two rw - cgroup2 none rw\n", "0::/\n");
        assertThat(l.v2().mountPoint()).isEqualTo(Path.of("/mnt/cg two"));
    }

    @Test
    void noCgroupsAtAll() {
        Cgroups.Layout l = Cgroups.parse("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n", "");
        assertThat(l.v2()).isNull();
        assertThat(l.v1()).isEmpty();
        assertThat(l.ownV2()).isNull();
    }
}
