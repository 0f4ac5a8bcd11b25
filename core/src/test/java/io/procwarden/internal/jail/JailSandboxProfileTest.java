package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.JailSpec;
import io.procwarden.JailSpec.FilesystemView;
import io.procwarden.JailSpec.Namespace;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The macOS sandbox-exec profile generator: string generation only. The profiles are not run
 * here (no macOS machine); these tests pin what is generated and what is reported as unmapped.
 */
class JailSandboxProfileTest {

    @Test
    void nothingToMapGivesAPermissiveProfile() {
        SandboxProfile.Profile p = SandboxProfile.of(JailSpec.none());
        assertThat(p.text()).isEqualTo("(version 1)\n(allow default)\n");
        assertThat(p.unmapped()).isEmpty();
    }

    @Test
    void aNetworkNamespaceDeniesTheNetwork() {
        SandboxProfile.Profile p = SandboxProfile.of(JailSpec.none().namespaces(Namespace.NET, Namespace.PID));
        assertThat(p.text()).contains("(deny network*)");
        assertThat(p.unmapped()).containsExactly("PID namespace");
    }

    @Test
    void aReadOnlyHostAllowsWritesOnlyToTmpfsPathsAndDevices() {
        SandboxProfile.Profile p = SandboxProfile.of(JailSpec.none().filesystem(FilesystemView.HOST_READ_ONLY).tmpfs(Path.of("/tmp/work")));
        assertThat(p.text()).contains("(deny file-write*)\n")
                .contains("(allow file-write* (literal \"/dev/null\")")
                .contains("(subpath \"/tmp/work\") (subpath \"/private/tmp/work\")");
        assertThat(p.unmapped()).singleElement().asString().contains("tmpfs on /tmp/work");
    }

    @Test
    void readOnlyBindsOnTheHostView() {
        SandboxProfile.Profile p = SandboxProfile.of(JailSpec.none().readOnlyBind(Path.of("/Users/me/src"))
                .readOnlyBind(Path.of("/opt/x"), Path.of("/x")));
        assertThat(p.text()).contains("(deny file-write* (subpath \"/Users/me/src\"))");
        assertThat(p.unmapped()).singleElement().asString().contains("/opt/x").contains("another path");
    }

    @Test
    void anEmptyViewReadsOnlyTheSystemAndTheBinds() {
        SandboxProfile.Profile p = SandboxProfile.of(JailSpec.none().filesystem(FilesystemView.EMPTY)
                .readOnlyBind(Path.of("/opt/tool")).tmpfs(Path.of("/var/scratch")));
        assertThat(p.text()).contains("(deny file-read* file-write*)")
                .contains("(allow file-read-metadata)")
                .contains("(subpath \"/usr/lib\")").contains("(subpath \"/opt/tool\")")
                .contains("(subpath \"/var/scratch\") (subpath \"/private/var/scratch\")");
    }

    @Test
    void quotesAreEscapedAndTheRestIsReportedUnmapped() {
        assertThat(SandboxProfile.quote("/a\"b\\c")).isEqualTo("\"/a\\\"b\\\\c\"");
        SandboxProfile.Profile p = SandboxProfile.of(JailSpec.none().memoryMax(1 << 20).dieWithParent());
        assertThat(p.unmapped()).contains("cgroup limits (memory, cpu, pids)", "die-with-parent");
    }
}
