package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.Signal;
import io.procwarden.internal.jail.JailPlan.Credentials;
import io.procwarden.internal.jail.JailPlan.Namespace;
import io.procwarden.internal.jail.JailPlan.Rlimit;
import io.procwarden.internal.jail.JailPlan.Sandbox;
import io.procwarden.internal.jail.JailPlan.View;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The command line of the chain, from a plan: pure string building. (Spec to plan: JailSpecTest.) */
class JailExecChainTest {
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    static final Path BWRAP = Path.of("/usr/bin/bwrap");
    static final int NOFILE = 7;

    static Sandbox sandbox(Set<Namespace> ns, View view, List<JailPlan.Bind> binds, List<Path> tmpfs, boolean die) {
        return new Sandbox(ns, view, binds, tmpfs, die, null);
    }

    @Test
    void theStubParksThenRestoresStdinAndExecs() {
        assertThat(ExecChain.stubScript(3, 4, null, false, null)).isEqualTo(
                "echo >&4 || exit 125; read -r _ || exit 125; exec 0<&3 3<&- 4>&-; exec \"$@\"");
        assertThat(ExecChain.stubScript(-1, 9, null, true, 0027)).isEqualTo(
                "echo >&9 || exit 125; read -r _ || exit 125; exec 0<&- 9>&-; unset PWD; umask 027; exec \"$@\"");
    }

    @Test
    void aLowNofileIsFinishedByTheStubAfterItsRedirections() {
        String s = ExecChain.stubScript(3, 4, new Rlimit(NOFILE, 4, 100), false, null);
        assertThat(s).contains("4>&-; ulimit -S -n 4; exec").doesNotContain("ulimit -H");
        assertThat(ExecChain.stubScript(3, 4, new Rlimit(NOFILE, 4, 8), false, null)).contains("ulimit -S -n 4; ulimit -H -n 8; ");
        assertThat(ExecChain.stubScript(3, 4, new Rlimit(NOFILE, 64, 64), false, null)).doesNotContain("ulimit");
        assertThat(ExecChain.stubScript(3, 4, new Rlimit(NOFILE, 4, -1), false, null)).as("RLIM_INFINITY is above the floor")
                .contains("ulimit -S -n 4; exec");
        assertThat(ExecChain.parentNofile(4)).isEqualTo(64);
        assertThat(ExecChain.parentNofile(1000)).isEqualTo(1000);
        assertThat(ExecChain.parentNofile(-1)).as("RLIM_INFINITY").isEqualTo(-1);
    }

    @Test
    void setprivSetsCredentialsThenTheDeathSignal() {
        Credentials c = new Credentials(true, 10, 20, List.of(30, 40), Signal.TERM.number());
        assertThat(ExecChain.setprivArgs(c, SETPRIV)).containsExactly("/usr/bin/setpriv", "--reuid=10", "--regid=20",
                "--groups=30,40", "--no-new-privs", "--pdeathsig=TERM", "--");
        assertThat(ExecChain.setprivArgs(new Credentials(false, 1, 2, null, 0), SETPRIV)).containsExactly("/usr/bin/setpriv",
                "--reuid=1", "--regid=2", "--clear-groups", "--");
        assertThat(ExecChain.needsSetpriv(Credentials.NONE)).isFalse();
        assertThat(ExecChain.needsSetpriv(new Credentials(false, null, null, List.of(5), 0))).isTrue();
    }

    @Test
    void groupsClearedAreNotGroupsUnset() {
        Credentials cleared = new Credentials(false, null, null, List.of(), 0);
        assertThat(ExecChain.needsSetpriv(cleared)).isTrue();
        assertThat(ExecChain.setprivArgs(cleared, SETPRIV)).containsExactly("/usr/bin/setpriv", "--clear-groups", "--");
        Credentials unset = new Credentials(true, null, null, null, 0);
        assertThat(ExecChain.setprivArgs(unset, SETPRIV)).containsExactly("/usr/bin/setpriv", "--no-new-privs", "--");
        assertThat(ExecChain.setprivArgs(new Credentials(false, 1, 2, List.of(), 0), SETPRIV))
                .containsExactly("/usr/bin/setpriv", "--reuid=1", "--regid=2", "--clear-groups", "--");
    }

    @Test
    void bwrapArgumentsFollowThePlan() {
        Sandbox s = sandbox(Set.of(Namespace.USER, Namespace.PID, Namespace.NET), View.HOST_READ_ONLY,
                List.of(new JailPlan.Bind(Path.of("/opt/a"), Path.of("/a"))), List.of(Path.of("/tmp")), true);
        assertThat(ExecChain.bwrapArgs(s, BWRAP)).containsExactly("/usr/bin/bwrap", "--unshare-user", "--unshare-pid",
                "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--ro-bind", "/opt/a", "/a",
                "--tmpfs", "/tmp", "--die-with-parent", "--");
        assertThat(ExecChain.bwrapArgs(sandbox(Set.of(Namespace.IPC), View.HOST, List.of(), List.of(), false), BWRAP))
                .containsExactly("/usr/bin/bwrap", "--unshare-ipc", "--bind", "/", "/", "--dev", "/dev", "--");
        assertThat(ExecChain.bwrapArgs(sandbox(Set.of(), View.EMPTY, List.of(), List.of(), false), BWRAP)).containsExactly(
                "/usr/bin/bwrap", "--dev", "/dev", "--");
    }

    @Test
    void theWholeArgv() {
        JailPlan plan = new JailPlan(List.of(), new Credentials(true, null, null, null, 0), null,
                sandbox(Set.of(Namespace.UTS), View.HOST, List.of(), List.of(), false), null, null, null);
        List<String> argv = ExecChain.stubArgv("SCRIPT", plan, new JailHost.Tools(SETPRIV, BWRAP), "/bin/echo", List.of("a b"));
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
}
