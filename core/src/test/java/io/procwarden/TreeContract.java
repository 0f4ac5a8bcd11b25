package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.procwarden.internal.jail.JailedChild;
import io.procwarden.internal.tree.Tree;
import io.procwarden.testing.Children;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Killing whole trees ({@link ProcessSpec#containTree()}) on one monitor backend (subclasses pick
 * it) and on the rung this JVM selects: cgroup v2 by default here; the {@code tree-cgroup-v1} and
 * {@code tree-subreaper} surefire executions force the others ({@value TreeMechanism#PROPERTY})
 * and name the rung they expect in {@code procwarden.test.expectedTree}.
 *
 * <p>Every tree prints the pids of the members that matter, each watched by the monitor; after
 * {@code terminateTree} (or the child's own end) each of them must be gone, the tree empty (its
 * cgroup removed), and two bystanders (a procwarden child and a {@link ProcessBuilder} child) alive
 * and still reapable by their owners. Nothing sleeps: waits are on futures and pipes.
 */
abstract class TreeContract {
    static final long LONG = 60;

    abstract MonitorBackend backend();

    ProcessMonitor monitor;
    private ChildProcess bystander;
    private Process jdkBystander;

    @BeforeAll
    static void allowSubreaperWhenForced() {
        if (TreeMechanism.SUBREAPER.id().equals(System.getProperty(TreeMechanism.PROPERTY))) {
            TreeMechanism.allowSubreaper();
        }
    }

    @BeforeEach
    void start() throws Exception {
        monitor = ProcessMonitor.create(backend());
        bystander = ProcessSpec.of("sleep", "600").stdin(Redirect.DISCARD).spawn(monitor);
        jdkBystander = new ProcessBuilder("sleep", "600").start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            assertThat(bystander.isAlive()).as("the JVM's other procwarden child is untouched").isTrue();
            assertThat(jdkBystander.isAlive()).as("the JVM's ProcessBuilder child is untouched").isTrue();
            bystander.kill();
            assertThat(bystander.onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
            jdkBystander.destroyForcibly();
            assertThat(jdkBystander.waitFor()).as("the JDK still reaps its own child (nobody stole its status)").isEqualTo(137);
        } finally {
            monitor.close();
        }
    }

    static TreeMechanism expected() {
        return TreeMechanism.parse(System.getProperty("procwarden.test.expectedTree", TreeMechanism.CGROUP_V2.id()));
    }

    /** A contained tree whose script prints one pid per line, {@code lines} of them; each is watched. */
    record Spawned(ChildProcess child, List<Integer> pids, List<CompletableFuture<ExitStatus>> gone, Tree tree,
            BufferedReader out) {}

    Spawned spawn(ProcessSpec spec, int lines) throws Exception {
        if (spec.stdin() == Redirect.INHERIT) spec = spec.stdin(Redirect.DISCARD);
        ChildProcess p = spec.stdout(Redirect.PIPE).stderr(Redirect.DISCARD).containTree().spawn(monitor);
        assertThat(p.treeMechanism()).hasValue(expected());
        BufferedReader r = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.US_ASCII));
        List<Integer> pids = new ArrayList<>();
        List<CompletableFuture<ExitStatus>> gone = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            String line = r.readLine();
            assertThat(line).as("pid line " + i).isNotNull();
            int pid = Integer.parseInt(line.trim());
            pids.add(pid);
            gone.add(monitor.watch(pid));
        }
        Tree tree = ((JailedChild) p.containment()).tree().orElseThrow();
        assertThat(tree.members()).as("the tree holds the child and what it printed").contains((int) p.pid()).containsAll(pids);
        return new Spawned(p, pids, gone, tree, r);
    }

    /** Every printed member is gone, the tree is empty and released, no zombie of ours is left. */
    static void assertAllGone(Spawned s) throws Exception {
        for (CompletableFuture<ExitStatus> f : s.gone()) f.get(LONG, TimeUnit.SECONDS);
        for (int pid : s.pids()) assertThat(Children.state(pid)).as("pid " + pid).isIn('?', 'Z');
        assertThat(s.tree().members()).as("nothing of the tree is alive").isEmpty();
        Optional<Path> dir = s.tree().cgroup().map(c -> c.directories().getFirst());
        dir.ifPresent(d -> assertThat(Files.exists(d)).as("cgroup removed: " + d).isFalse());
        assertThat(Children.zombiesOfThisJvm()).as("no zombie left (adopted members reaped)").isEmpty();
    }

    @Test
    void aDoubleForkDaemonIsKilled() throws Exception {
        // The subshell forks the daemon and exits once we close its stdin: the daemon is orphaned
        // (reparented away from the tree's processes) before any signal.
        ProcessSpec spec = ProcessSpec.of("sh", "-c", "(sleep 600 >/dev/null 2>&1 & echo $!; read _); exec sleep 600")
                .stdin(Redirect.PIPE);
        Spawned s = spawn(spec, 1);
        s.child().stdin().close();
        assertThat(s.child().terminateTree(Duration.ofSeconds(LONG)).get(LONG, TimeUnit.SECONDS))
                .isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
        assertThat(s.child().killedByUs()).isTrue();
        assertAllGone(s);
    }

    @Test
    void aDaemonOrphanedAtOnceIsKilledByTheCgroupRungs() throws Exception {
        // The subreaper rung's documented bound: a process born and orphaned between two walks is
        // not found. A cgroup holds it whatever happens.
        assumeTrue(expected() != TreeMechanism.SUBREAPER, "the subreaper rung's bound (docs/tree.md)");
        Spawned s = spawn(ProcessSpec.of("sh", "-c", "(sleep 600 >/dev/null 2>&1 & echo $!); exec sleep 600"), 1);
        assertThat(s.child().terminateTree(Duration.ofSeconds(LONG)).get(LONG, TimeUnit.SECONDS))
                .isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
        assertAllGone(s);
    }

    @Test
    void aSetsidGrandchildIsKilled() throws Exception {
        Spawned s = spawn(ProcessSpec.of("sh", "-c", "setsid sleep 600 >/dev/null 2>&1 & echo $!; wait"), 1);
        assertThat(s.child().terminateTree(Duration.ofSeconds(LONG)).get(LONG, TimeUnit.SECONDS))
                .isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
        assertAllGone(s);
    }

    @Test
    void aLoopThatKeepsForkingIsKilledUnderAPidsLimit() throws Exception {
        // It ignores SIGTERM, so it forks through the whole grace and is then killed while forking:
        // short-lived children (reaped) free slots under the limit, long-lived ones fill the tree.
        // Python, which retries a failed fork for ever: dash exits at the first EAGAIN, and bash
        // gives up (exit 254) when a SIGCHLD cuts its retry's sleep short, which made this flaky.
        String loop = String.join("\n",
                "import os, signal",
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)",
                "print(os.getpid(), flush=True)",
                "null = os.open(os.devnull, os.O_WRONLY)",
                "os.dup2(null, 1)",
                "os.dup2(null, 2)",
                "n = 0",
                "while True:",
                "    try:",
                "        pid = os.fork()",
                "    except OSError:",
                "        pid = -1",
                "    if pid == 0:",
                "        if n % 2 == 0:",
                "            os._exit(0)",
                "        signal.pause()",
                "        os._exit(0)",
                "    n += 1",
                "    try:",
                "        while os.waitpid(-1, os.WNOHANG)[0] > 0:",
                "            pass",
                "    except ChildProcessError:",
                "        pass");
        Spawned s = spawn(ProcessSpec.of("python3", "-c", loop).jail(JailSpec.none().pidsMax(64)), 1);
        ExitStatus status = s.child().terminateTree(Duration.ofMillis(300)).get(LONG, TimeUnit.SECONDS);
        assertThat(status).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(s.child().killedByUs()).isTrue();
        assertAllGone(s);
    }

    @Test
    void aGrandchildThatIgnoresTermGetsTheGraceThenSigkill() throws Exception {
        // The child dies of SIGTERM at once; its grandchild ignores it (the disposition survives exec).
        String inner = "trap '' TERM; echo $$; exec sleep 600";
        Spawned s = spawn(ProcessSpec.of("sh", "-c", "sh -c \"$1\" & wait", "sh", inner), 1);
        Duration grace = Duration.ofMillis(400);
        long start = System.nanoTime();
        CompletableFuture<ExitStatus> done = s.child().terminateTree(grace);
        ExitStatus grandchild = s.gone().getFirst().get(LONG, TimeUnit.SECONDS);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(done.get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
        assertThat(tookMillis).as("the grandchild outlived its parent for the whole grace").isGreaterThanOrEqualTo(grace.toMillis() - 5);
        assertThat(grandchild).isNotNull();
        assertAllGone(s);
    }

    @Test
    void whatIsLeftWhenTheChildEndsIsKilledBeforeItsExitIsReported() throws Exception {
        ProcessSpec spec = ProcessSpec.of("sh", "-c", "setsid sleep 600 >/dev/null 2>&1 & echo $!; read _; exit 0").stdin(Redirect.PIPE);
        Spawned s = spawn(spec, 1);
        s.child().stdin().close(); // end of file: the child exits 0, leaving the sleep behind
        assertThat(s.child().onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(0));
        assertThat(s.child().killedByUs()).as("it ended by itself").isFalse();
        assertThat(s.gone().getFirst().get(LONG, TimeUnit.SECONDS)).as("the leftover died").isNotNull();
        assertAllGone(s);
    }

    @Test
    void killTreeKillsEveryMemberAtOnce() throws Exception {
        String script = "for i in 1 2 3; do setsid sleep 600 >/dev/null 2>&1 & echo $!; done; echo $$; exec sleep 600";
        Spawned s = spawn(ProcessSpec.of("sh", "-c", script), 4);
        assertThat(s.child().killTree()).isTrue();
        assertThat(s.child().onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(s.child().killedByUs()).isTrue();
        assertAllGone(s);
        assertThat(s.child().killTree()).as("ended: nothing to kill").isFalse();
    }

    @Test
    void signalTreeReachesEveryMember() throws Exception {
        // Each member says which signal reached it; only the tree signal can reach the setsid one.
        String member = "trap 'echo usr1 $$; exit 0' USR1; echo $$; while :; do sleep 1; done";
        // The root catches it too (so that it outlives its members and the tree is not torn down
        // under them): the first wait ends with the trap, the second waits for both members.
        String script = "trap : USR1; setsid sh -c \"$1\" sh & sh -c \"$1\" sh & wait; wait";
        Spawned s = spawn(ProcessSpec.of("sh", "-c", script, "sh", member), 2);
        assertThat(s.child().signalTree(Signal.USR1)).isTrue();
        List<String> heard = List.of(s.out().readLine(), s.out().readLine());
        assertThat(heard).containsExactlyInAnyOrder("usr1 " + s.pids().get(0), "usr1 " + s.pids().get(1));
        assertThat(s.child().onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(0));
        assertThat(s.child().killedByUs()).isFalse();
        assertAllGone(s);
    }

    @Test
    void killedByUsIsFalseForASignalFromElsewhere() throws Exception {
        Spawned s = spawn(ProcessSpec.of("sh", "-c", "echo $$; exec sleep 600"), 1);
        assertThat(s.child().signal(Signal.KILL)).isTrue();
        assertThat(s.child().onExit().get(LONG, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(s.child().killedByUs()).isFalse();
        assertAllGone(s);
    }

    @Test
    void anUncontainedChildRefusesTheTreeMethods() throws Exception {
        try (ChildProcess p = ProcessSpec.of("sleep", "600").stdin(Redirect.DISCARD).spawn(monitor)) {
            assertThat(p.treeMechanism()).isEmpty();
            assertThatThrownBy(p::killTree).isInstanceOf(IllegalStateException.class).hasMessageContaining("containTree()");
            assertThatThrownBy(() -> p.terminateTree(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
            assertThat(p.kill()).isTrue();
            p.onExit().get(LONG, TimeUnit.SECONDS);
            assertThat(p.killedByUs()).isTrue();
        }
    }
}
