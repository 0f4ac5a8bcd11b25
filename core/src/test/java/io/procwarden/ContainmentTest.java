package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.internal.jail.Containment;
import io.procwarden.internal.launch.Launched;
import io.procwarden.internal.launch.Launcher;
import io.procwarden.internal.monitor.Registration;
import io.procwarden.testing.Children;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * How a handle uses its child's {@link Containment}: {@code kill()} and {@code terminate()} go to
 * the whole container, {@code signal()} to the one process, {@code oomKills()} comes from it once
 * the child has ended. The container here is the child's process group (a real one, with a real
 * grandchild in it), standing in for the cgroup a jail gives; the last test runs the real thing,
 * a jailed child in a cgroup, through {@code ProcessSpec.jail(...).spawn()}.
 */
@EnabledOnOs(OS.LINUX)
class ContainmentTest {
    private static final long LONG = 30;

    private ProcessMonitor monitor;

    @BeforeEach
    void start() {
        monitor = ProcessMonitor.create();
    }

    @AfterEach
    void stop() {
        monitor.close();
    }

    /** A container made of the process group the child leads; records every signal it is asked to send. */
    private static final class GroupContainment implements Containment {
        final List<Integer> sent = new CopyOnWriteArrayList<>();
        private final Registration leader;

        GroupContainment(Registration leader) {
            this.leader = leader;
        }

        @Override
        public boolean signalAll(int signal) throws IOException {
            sent.add(signal);
            return leader.signalGroup(signal);
        }

        @Override
        public OptionalLong oomKills() {
            return OptionalLong.of(2);
        }

        @Override
        public Optional<IOException> teardownFailure() {
            return Optional.empty();
        }

        @Override
        public String describe() {
            return "process group " + leader.pid();
        }
    }

    private record Contained(ChildProcess child, GroupContainment containment, int grandchild) {}

    /** A shell leading its own group, with a grandchild {@code sleep} in it; launched as ProcessSpec.spawn does, plus the containment. */
    private Contained spawn(String prelude) throws Exception {
        ProcessSpec spec = ProcessSpec.of("sh", "-c", prelude + "sleep 600 & echo $!; wait").newProcessGroup()
                .stdin(Redirect.DISCARD).stdout(Redirect.PIPE).stderr(Redirect.DISCARD);
        ChildProcess.Exit exit = new ChildProcess.Exit();
        Launched plain = Launcher.launch(spec.toPlan(), monitor.loop(), exit);
        GroupContainment containment = new GroupContainment(plain.registration());
        ChildProcess child = new ChildProcess(spec, monitor.loop(), new Launched(plain.pid(), plain.registration(),
                plain.pipes(), containment), exit);
        BufferedReader r = new BufferedReader(new InputStreamReader(child.stdout(), StandardCharsets.US_ASCII));
        return new Contained(child, containment, Integer.parseInt(r.readLine().trim()));
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(LONG, TimeUnit.SECONDS);
    }

    @Test
    void killReachesTheWholeContainer() throws Exception {
        Contained c = spawn("");
        try (ChildProcess p = c.child()) {
            CompletableFuture<ExitStatus> grandchildGone = monitor.watch(c.grandchild());
            assertThat(p.oomKills()).as("nothing counted while it runs").isEmpty();
            assertThat(p.kill()).isTrue();
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
            await(grandchildGone);
            assertThat(c.containment().sent).containsExactly(Signal.KILL.number());
            assertThat(p.kill()).as("ended: nothing to kill").isFalse();
            assertThat(c.containment().sent).hasSize(1);
            assertThat(p.oomKills()).as("the container's count, once the child has ended").hasValue(2);
        }
    }

    @Test
    void terminateTermsTheContainerThenKillsIt() throws Exception {
        // Both ignore SIGTERM (an ignored signal stays ignored across exec), so the grace runs out.
        Contained c = spawn("trap '' TERM; ");
        try (ChildProcess p = c.child()) {
            CompletableFuture<ExitStatus> grandchildGone = monitor.watch(c.grandchild());
            assertThat(await(p.terminate(Duration.ofMillis(200)))).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
            await(grandchildGone);
            assertThat(c.containment().sent).containsExactly(Signal.TERM.number(), Signal.KILL.number());
        }
    }

    @Test
    void signalStillTargetsTheOneProcess() throws Exception {
        Contained c = spawn("");
        try (ChildProcess p = c.child()) {
            CompletableFuture<ExitStatus> grandchildGone = monitor.watch(c.grandchild());
            assertThat(p.signal(Signal.TERM)).isTrue();
            assertThat(await(p.onExit())).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
            assertThat(c.containment().sent).as("the container was not asked").isEmpty();
            assertThat(grandchildGone).as("the grandchild lives on").isNotDone();
            assertThat(Children.state(c.grandchild())).isNotEqualTo('?');
            Children.kill(c.grandchild(), Signal.KILL.number());
            await(grandchildGone);
        }
    }

    @Test
    void terminateOnAJailedChildReachesEveryProcessInItsCgroup() throws Exception {
        // The outer shell (the child we spawned) waits for the inner one when told to stop; the
        // inner one says "term" only if SIGTERM reaches it too, which only the cgroup can do.
        // Were the stub alone signalled, the grace would run out and both die by SIGKILL, silently.
        String inner = "trap 'echo term; exit 0' TERM; echo ready; sleep 600 & wait";
        String outer = "trap 'wait; exit 3' TERM; sh -c \"$1\" & wait";
        ProcessSpec spec = ProcessSpec.of("/bin/sh", "-c", outer, "sh", inner).stdin(Redirect.DISCARD)
                .stdout(Redirect.PIPE).stderr(Redirect.DISCARD).jail(JailSpec.none().memoryMax(256L << 20));
        try (ChildProcess p = spec.spawn(monitor)) {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.US_ASCII));
            assertThat(r.readLine()).isEqualTo("ready");
            assertThat(p.oomKills()).as("nothing counted while it runs").isEmpty();
            assertThat(await(p.terminate(Duration.ofSeconds(LONG)))).isEqualTo(new ExitStatus.Exited(3));
            assertThat(r.readLine()).isEqualTo("term");
            assertThat(p.oomKills().orElse(0)).as("the OOM killer never acted").isZero();
            assertThat(p.kill()).as("ended and torn down: nothing to kill").isFalse();
        }
    }
}
