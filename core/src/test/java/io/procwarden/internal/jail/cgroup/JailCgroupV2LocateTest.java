package io.procwarden.internal.jail.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.JailUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a v2 cgroup goes, on a fake cgroup2 tree (plain files): our own cgroup when it delegates
 * the controllers, else the nearest ancestor that does or can be made to. Pure file work; this
 * host's real v2 hierarchy has no controllers to try it on.
 */
class JailCgroupV2LocateTest {

    /** mount R, ours /a/b: R delegates cpu memory pids; /a delegates memory pids; /a/b nothing. */
    private static Cgroups.Layout tree(Path root) throws Exception {
        write(root, "cpu memory pids", "cpu memory pids");
        write(root.resolve("a"), "cpu memory pids", "memory pids");
        write(root.resolve("a/b"), "memory pids", "");
        return new Cgroups.Layout(new Cgroups.Mount(root, "/", Set.of()), "/a/b", Map.of(), Map.of());
    }

    private static void write(Path dir, String controllers, String subtree) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cgroup.controllers"), controllers + "\n");
        Files.writeString(dir.resolve("cgroup.subtree_control"), subtree + "\n");
    }

    @Test
    void noControllerNeededMeansOurOwnCgroup(@TempDir Path root) throws Exception {
        assertThat(CgroupV2.locate(tree(root), Set.of(), true).dir()).isEqualTo(root.resolve("a/b"));
    }

    @Test
    void ourCgroupCannotEnableThemSoTheNearestDelegatingAncestorIsUsed(@TempDir Path root) throws Exception {
        Cgroups.Layout l = tree(root);
        // A cgroup with processes refuses "+memory" (EBUSY); here its file cannot be written at all.
        Path own = root.resolve("a/b/cgroup.subtree_control");
        Files.delete(own);
        Files.createDirectory(own);
        assertThat(CgroupV2.locate(l, Set.of("memory", "pids"), true).dir()).isEqualTo(root.resolve("a"));
    }

    @Test
    void anAncestorThatOffersButDoesNotDelegateIsEnabled(@TempDir Path root) throws Exception {
        Cgroups.Layout l = tree(root);
        Files.delete(root.resolve("a/b/cgroup.subtree_control"));
        Files.createDirectory(root.resolve("a/b/cgroup.subtree_control"));
        assertThat(CgroupV2.locate(l, Set.of("cpu", "memory"), true).dir()).isEqualTo(root.resolve("a"));
        // one write of exactly the missing controller (cgroupfs takes it as a command; a plain file
        // keeps the rest of its old text after it)
        assertThat(Files.readString(root.resolve("a/cgroup.subtree_control"))).startsWith("+cpu").doesNotContain("+memory");
        // checking only writes nothing
        Files.writeString(root.resolve("a/cgroup.subtree_control"), "memory pids\n");
        assertThat(CgroupV2.locate(l, Set.of("cpu", "memory"), false).dir()).isEqualTo(root.resolve("a"));
        assertThat(Files.readString(root.resolve("a/cgroup.subtree_control"))).isEqualTo("memory pids\n");
    }

    @Test
    void aControllerNobodyOffersFailsNamingItAndEveryCgroupTried(@TempDir Path root) throws Exception {
        assertThatThrownBy(() -> CgroupV2.locate(tree(root), Set.of("hugetlb"), true))
                .isInstanceOfSatisfying(JailUnavailableException.class, e -> {
                    assertThat(e.capability()).isEqualTo("cgroup v2 controllers hugetlb");
                    assertThat(e.getMessage()).contains(root.resolve("a/b") + " offers only [memory, pids]")
                            .contains(root + " offers only [cpu, memory, pids]");
                });
    }
}
