package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.Signal;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.sys.ProcStat;
import io.procwarden.testing.Children;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A child that forks and exits (a daemonizing child): its exit is reported when it exits, not
 * when its pipes reach end of file, which its grandchildren may delay forever (NuProcess and
 * stream-pumping wrappers of ProcessBuilder wait for that EOF). And a group kill reaches every
 * grandchild still in the group, including one that was reparented away; one that left the
 * group with setsid is out of reach (a documented limit, shown here).
 */
@EnabledOnOs(OS.LINUX)
class DaemonizingChildTest {
    private static final Duration LONG = Duration.ofSeconds(60);

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void exitIsReportedWhileGrandchildrenHoldThePipes(MonitorBackend backend) throws Exception {
        // One grandchild stays the leader's child until the leader exits, one is double-forked
        // (its parent, a subshell, exits at once). Both inherit the stdout and stderr pipes.
        ProcessSpec spec = ProcessSpec.of("sh", "-c", "sleep 600 & echo $!; (sleep 600 & echo $!); exit 0")
                .stdin(Redirect.DISCARD).stdout(Redirect.PIPE).stderr(Redirect.PIPE).newProcessGroup();
        List<Integer> grandchildren = new ArrayList<>();
        try (ProcessMonitor monitor = ProcessMonitor.create(backend); ChildProcess p = spec.spawn(monitor)) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.US_ASCII));
            try {
                grandchildren.add(Integer.parseInt(out.readLine()));
                grandchildren.add(Integer.parseInt(out.readLine()));

                assertThat(p.waitFor(LONG)).contains(new ExitStatus.Exited(0));

                // Reported although both pipes are still open for writing in the grandchildren:
                // no end of file has come, nor can it while they live.
                for (int gc : grandchildren) {
                    assertThat(Signals.kill(gc, 0)).as("grandchild %d alive", gc).isTrue();
                    assertThat(ProcStat.read(gc).orElseThrow().pgrp()).isEqualTo((int) p.pid());
                    assertThat(link(gc, 1)).as("grandchild's stdout").startsWith("pipe:").isIn(ourLinks());
                    assertThat(link(gc, 2)).as("grandchild's stderr").startsWith("pipe:").isIn(ourLinks());
                }
                // The leader is reaped: its group can no longer be signalled through the handle
                // (its id could be reused once the group empties), so nothing is sent.
                assertThat(p.signalGroup(Signal.KILL)).isFalse();
                assertThat(p.terminateGroup(Duration.ZERO).get(LONG.toSeconds(), TimeUnit.SECONDS))
                        .isEqualTo(new ExitStatus.Exited(0));
                for (int gc : grandchildren) assertThat(Signals.kill(gc, 0)).isTrue();
            } finally {
                endAll(monitor, grandchildren);
            }
            // Only now does an EOF-based detector learn anything.
            assertThat(out.read()).isEqualTo(-1);
            assertThat(p.stderr().read()).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void groupKillReachesEveryGrandchildInTheGroup(MonitorBackend backend) throws Exception {
        String script = String.join("\n",
                "sleep 600 & echo child $!",                       // the leader's own child
                "(sleep 600 & echo orphan $!)",                    // reparented away when the subshell exits
                "sh -c 'sleep 600 & echo grandgrand $!; exec sleep 600' & echo middle $!", // two levels down
                "setsid sleep 600 & echo escaped $!",              // leaves the group: out of reach
                "wait");
        ProcessSpec spec = ProcessSpec.of("sh", "-c", script).stdin(Redirect.DISCARD).stdout(Redirect.PIPE)
                .stderr(Redirect.DISCARD).newProcessGroup();
        Map<String, Integer> pids = new LinkedHashMap<>();
        try (ProcessMonitor monitor = ProcessMonitor.create(backend); ChildProcess p = spec.spawn(monitor)) {
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.US_ASCII));
                for (int i = 0; i < 5; i++) {
                    String[] line = out.readLine().split(" ");
                    pids.put(line[0], Integer.parseInt(line[1]));
                }
                // setsid has run once the process shows its own session (it execs sleep after).
                awaitOwnSession(pids.get("escaped"));
                Map<String, CompletableFuture<ExitStatus>> gone = new LinkedHashMap<>();
                pids.forEach((name, pid) -> {
                    ProcStat s = ProcStat.read(pid).orElseThrow();
                    if (name.equals("escaped")) {
                        assertThat(s.pgrp()).as(name).isEqualTo(pid);
                    } else {
                        assertThat(s.pgrp()).as(name + " in the leader's group").isEqualTo((int) p.pid());
                        gone.put(name, monitor.watch(pid));
                    }
                });

                assertThat(p.terminateGroup(LONG).get(LONG.toSeconds(), TimeUnit.SECONDS))
                        .isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
                // Every member of the group got SIGTERM and died (not our children: how, where the
                // kernel keeps the status of reaped processes, unless their parent, gone too, left
                // them to a pid 1 that does not reap).
                boolean exitInfo = ProcessMonitor.nonChildStatusUnavailabilityCause().isEmpty();
                for (Map.Entry<String, CompletableFuture<ExitStatus>> e : gone.entrySet()) {
                    ExitStatus s = e.getValue().get(LONG.toSeconds(), TimeUnit.SECONDS);
                    if (exitInfo) {
                        assertThat(s).as(e.getKey()).isIn(new ExitStatus.Signaled(Signal.TERM, false),
                                new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_REAPED));
                    } else {
                        assertThat(s).as(e.getKey()).isEqualTo(new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD));
                    }
                }
                assertThat(Signals.kill(pids.get("escaped"), 0)).as("out of the group's reach").isTrue();
                System.out.println(backend.id() + ": group " + p.pid() + " " + pids + ": all but 'escaped' ended");
            } finally {
                endAll(monitor, List.copyOf(pids.values()));
            }
        }
    }

    /**
     * Kills the test's remaining grandchildren and waits until they are gone. By pid: each is a
     * {@code sleep 600} that nobody else ends, so while {@code kill(pid, 0)} finds it, it is
     * still the same process.
     */
    private static void endAll(ProcessMonitor monitor, List<Integer> pids) throws Exception {
        List<CompletableFuture<ExitStatus>> ends = new ArrayList<>();
        for (int pid : pids) {
            if (ProcStat.read(pid).map(s -> !s.hasExited()).orElse(false)) {
                ends.add(monitor.watch(pid));
                Signals.kill(pid, Signal.KILL.number());
            }
        }
        for (CompletableFuture<ExitStatus> f : ends) f.get(LONG.toSeconds(), TimeUnit.SECONDS);
    }

    private static void awaitOwnSession(int pid) {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (ProcStat.read(pid).orElseThrow().session() != pid) {
            if (System.nanoTime() > deadline) throw new AssertionError(pid + " never called setsid");
            Thread.yield();
        }
    }

    /** What descriptor {@code fd} of process {@code pid} refers to, e.g. {@code pipe:[123]}. */
    private static String link(int pid, int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "fd", Integer.toString(fd))).toString();
    }

    /** What every descriptor of this JVM refers to. */
    private static List<String> ourLinks() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(p -> {
                try {
                    return Files.readSymbolicLink(p).toString();
                } catch (IOException gone) {
                    return ""; // the listing's own descriptor
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
