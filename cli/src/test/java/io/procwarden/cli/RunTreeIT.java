package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * {@code procwarden run} contains CMD's whole tree (issue 14): the timeout and forwarded signals
 * reach a {@code setsid} grandchild that a process-group signal misses; a SIGKILL of procwarden
 * leaves nothing behind; any signal that would kill procwarden is forwarded, SIGINT even when
 * procwarden was started with it ignored. Each CMD prints the pids that matter; each is watched
 * (they are not our children: the monitor learns that they ended), and nothing sleeps.
 */
@EnabledOnOs(OS.LINUX)
class RunTreeIT {
    /** A setsid grandchild, then CMD's own pid; CMD then waits. */
    private static final String TREE = "setsid sleep 600 >/dev/null 2>&1 & echo $!; echo $$; ";

    private static List<CompletableFuture<ExitStatus>> watch(Cli.Running cli, int lines) {
        List<CompletableFuture<ExitStatus>> gone = new ArrayList<>();
        for (int i = 0; i < lines; i++) gone.add(ProcessMonitor.shared().watch(Long.parseLong(cli.nextOutLine().strip()))); // strip: a pty's \r
        return gone;
    }

    /** {@code run [--pty] -- CMD...}: with a pty too, the tree is contained and CMD dies with procwarden. */
    private static String[] run(boolean pty, String... cmd) {
        List<String> words = new ArrayList<>(pty ? List.of("run", "--pty", "--") : List.of("run", "--"));
        words.addAll(List.of(cmd));
        return words.toArray(String[]::new);
    }

    private static void allGone(List<CompletableFuture<ExitStatus>> gone) throws Exception {
        for (CompletableFuture<ExitStatus> f : gone) f.get(Cli.GENEROUS.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void theTimeoutKillsASetsidGrandchildToo() throws Exception {
        try (Cli.Running cli = Cli.start("run", "--timeout", "1s", "--", "sh", "-c", TREE + "sleep 600")) {
            List<CompletableFuture<ExitStatus>> gone = watch(cli, 2);
            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(124);
            allGone(gone);
        }
    }

    @Test
    void escalationToSigkillExits137AndKillsTheTree() throws Exception {
        String ignores = "trap '' TERM; setsid sh -c 'trap \"\" TERM; echo $$; exec sleep 600' & sleep 600";
        try (Cli.Running cli = Cli.start("run", "--timeout", "500ms", "--grace", "300ms", "--", "sh", "-c", ignores)) {
            List<CompletableFuture<ExitStatus>> gone = watch(cli, 1);
            Cli.Result r = cli.finish();
            assertThat(r.exit()).as("128+9, as GNU timeout: " + r).isEqualTo(137);
            allGone(gone);
        }
    }

    @ParameterizedTest(name = "pty {0}")
    @ValueSource(booleans = {false, true})
    void sigkillOfProcwardenLeavesNothingBehind(boolean pty) throws Exception {
        try (Cli.Running cli = Cli.start(run(pty, "sh", "-c", TREE + "sleep 600"))) {
            List<CompletableFuture<ExitStatus>> gone = watch(cli, 2);
            Cli.signal(cli.pid(), "KILL");
            assertThat(cli.finish().exit()).isEqualTo(137);
            // CMD by its parent-death signal, the setsid grandchild by the tree guardian's cgroup.kill.
            allGone(gone);
        }
    }

    @Test
    void sigusr1WhichWouldKillProcwardenIsForwardedToTheTree() throws Exception {
        String script = "trap 'echo got USR1; exit 7' USR1; setsid sleep 600 >/dev/null 2>&1 & echo $!; echo ready; "
                + "while :; do sleep 1; done";
        try (Cli.Running cli = Cli.start("run", "--", "sh", "-c", script)) {
            List<CompletableFuture<ExitStatus>> gone = watch(cli, 1); // the setsid one dies of USR1
            cli.awaitOut("ready");
            Cli.signal(cli.pid(), "USR1");
            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(7);
            assertThat(r.out()).as(r.toString()).contains("got USR1");
            allGone(gone);
        }
    }

    @Test
    void sigintIsForwardedEvenWhenProcwardenInheritedItIgnored() {
        // As a shell starts `procwarden run ... &` in a script: SIGINT ignored, kept so across exec.
        List<String> command = new ArrayList<>(List.of("sh", "-c", "trap '' INT; exec \"$@\"", "sh"));
        command.addAll(Cli.command("run", "--", "sh", "-c", "trap 'echo got INT; exit 8' INT; echo ready; "
                + "while :; do sleep 1; done"));
        try (Cli.Running cli = Cli.start(command, Map.of(), null)) {
            cli.awaitOut("ready");
            Cli.signal(cli.pid(), "INT");
            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(8);
            assertThat(r.out()).as(r.toString()).contains("got INT");
        }
    }

    @ParameterizedTest(name = "pty {0}")
    @ValueSource(booleans = {false, true})
    void whatCmdLeavesRunningIsKilledWhenItEnds(boolean pty) throws Exception {
        try (Cli.Running cli = Cli.start(run(pty, "sh", "-c", TREE + "exit 3"))) {
            List<CompletableFuture<ExitStatus>> gone = watch(cli, 2);
            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(3);
            allGone(gone);
        }
    }

    @Test
    void noTreeLetsWhatCmdLeavesOutliveIt() throws Exception {
        try (Cli.Running cli = Cli.start("run", "--no-tree", "--", "sh", "-c", TREE + "exit 3")) {
            long daemon = Long.parseLong(cli.nextOutLine());
            CompletableFuture<ExitStatus> gone = ProcessMonitor.shared().watch(daemon);
            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(3);
            assertThat(gone).as("the setsid sleep outlives CMD and procwarden").isNotDone();
            Cli.signal(daemon, "KILL");
            gone.get(Cli.GENEROUS.toSeconds(), TimeUnit.SECONDS);
        }
    }
}
