package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.JailSpec;
import io.procwarden.JailSpec.FilesystemView;
import io.procwarden.JailSpec.Namespace;
import io.procwarden.JailSpec.Resource;
import io.procwarden.Signal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The command line of the chain: pure string building. */
class JailExecChainTest {
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    static final Path BWRAP = Path.of("/usr/bin/bwrap");

    @Test
    void theStubParksThenRestoresStdinAndExecs() {
        assertThat(ExecChain.stubScript(3, 4, null, false, null)).isEqualTo(
                "echo >&4 || exit 125; read -r _ || exit 125; exec 0<&3 3<&- 4>&-; exec \"$@\"");
        assertThat(ExecChain.stubScript(-1, 9, null, true, 0027)).isEqualTo(
                "echo >&9 || exit 125; read -r _ || exit 125; exec 0<&- 9>&-; unset PWD; umask 027; exec \"$@\"");
    }

    @Test
    void aLowNofileIsFinishedByTheStubAfterItsRedirections() {
        String s = ExecChain.stubScript(3, 4, new JailSpec.Limit(4, 100), false, null);
        assertThat(s).contains("4>&-; ulimit -S -n 4; exec").doesNotContain("ulimit -H");
        assertThat(ExecChain.stubScript(3, 4, new JailSpec.Limit(4, 8), false, null)).contains("ulimit -S -n 4; ulimit -H -n 8; ");
        assertThat(ExecChain.stubScript(3, 4, new JailSpec.Limit(64, 64), false, null)).doesNotContain("ulimit");
        assertThat(ExecChain.parentNofile(4)).isEqualTo(64);
        assertThat(ExecChain.parentNofile(1000)).isEqualTo(1000);
        assertThat(ExecChain.parentNofile(-1)).as("RLIM_INFINITY").isEqualTo(-1);
    }

    @Test
    void setprivSetsCredentialsThenTheDeathSignal() {
        JailSpec spec = JailSpec.none().user(10, 20).supplementaryGroups(30, 40).noNewPrivileges().parentDeathSignal(Signal.TERM);
        assertThat(ExecChain.setprivArgs(spec, SETPRIV)).containsExactly("/usr/bin/setpriv", "--reuid=10", "--regid=20",
                "--groups=30,40", "--no-new-privs", "--pdeathsig=TERM", "--");
        assertThat(ExecChain.setprivArgs(JailSpec.none().user(1, 2), SETPRIV)).containsExactly("/usr/bin/setpriv",
                "--reuid=1", "--regid=2", "--clear-groups", "--");
        assertThat(ExecChain.needsSetpriv(JailSpec.none().limit(Resource.CPU, 1))).isFalse();
        assertThat(ExecChain.needsSetpriv(JailSpec.none().supplementaryGroups(5))).isTrue();
    }

    @Test
    void bwrapArgumentsFollowTheSpec() {
        JailSpec spec = JailSpec.none().namespaces(Namespace.USER, Namespace.PID, Namespace.NET)
                .filesystem(FilesystemView.HOST_READ_ONLY).readOnlyBind(Path.of("/opt/a"), Path.of("/a"))
                .tmpfs(Path.of("/tmp")).dieWithParent();
        assertThat(ExecChain.bwrapArgs(spec, BWRAP)).containsExactly("/usr/bin/bwrap", "--unshare-user", "--unshare-pid",
                "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--ro-bind", "/opt/a", "/a",
                "--tmpfs", "/tmp", "--die-with-parent", "--");
        assertThat(ExecChain.bwrapArgs(JailSpec.none().namespaces(Namespace.IPC), BWRAP)).containsExactly(
                "/usr/bin/bwrap", "--unshare-ipc", "--bind", "/", "/", "--dev", "/dev", "--");
        assertThat(ExecChain.bwrapArgs(JailSpec.none().filesystem(FilesystemView.EMPTY), BWRAP)).containsExactly(
                "/usr/bin/bwrap", "--dev", "/dev", "--");
    }

    @Test
    void theWholeArgv() {
        JailSpec spec = JailSpec.none().noNewPrivileges().namespaces(Namespace.UTS);
        List<String> argv = ExecChain.stubArgv("SCRIPT", spec, new JailHost.Tools(SETPRIV, BWRAP), "/bin/echo", List.of("a b"));
        assertThat(argv).containsExactly("sh", "-c", "SCRIPT", "procwarden-jail", "/usr/bin/setpriv", "--no-new-privs", "--",
                "/usr/bin/bwrap", "--unshare-uts", "--bind", "/", "/", "--dev", "/dev", "--", "/bin/echo", "a b");
        assertThat(ExecChain.describe(new JailHost.Tools(null, BWRAP), "/bin/echo")).isEqualTo("sh stub -> /usr/bin/bwrap -> /bin/echo");
    }

    @Test
    void theAllowlistFiltersTheGivenOrInheritedEnvironment() {
        Map<String, String> ours = Map.of("PATH", "/bin", "SECRET", "x", "HOME", "/root");
        assertThat(ExecChain.environment(null, null, ours)).isNull();
        assertThat(ExecChain.environment(null, Set.of("PATH", "HOME"), ours)).containsExactlyInAnyOrder("PATH=/bin", "HOME=/root");
        assertThat(ExecChain.environment(List.of("A=1", "B=2", "SECRET=y"), Set.of("A", "SECRET"), ours))
                .containsExactly("A=1", "SECRET=y");
        assertThat(ExecChain.hasPwd(List.of("PWD=/x"), ours)).isTrue();
        assertThat(ExecChain.hasPwd(null, ours)).isFalse();
    }

    @Test
    void resourcesMapToTheirLinuxNumbers() {
        assertThat(ExecChain.resource(Resource.NOFILE)).isEqualTo(7);
        assertThat(ExecChain.resource(Resource.AS)).isEqualTo(9);
        assertThat(ExecChain.resource(Resource.CPU)).isZero();
        assertThat(ExecChain.rlim(JailSpec.Limit.UNLIMITED)).isEqualTo(-1);
        assertThat(ExecChain.rlim(5)).isEqualTo(5);
    }
}
