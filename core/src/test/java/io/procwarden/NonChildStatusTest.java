package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.procwarden.internal.sys.ProcFs;
import io.procwarden.internal.sys.ProcStat;
import io.procwarden.testing.Children;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Processes that are not our children, whose parent (a shell, or a subreaper that adopted an
 * orphan) reaps them: exit code, signal and core-dump flag come back exact through
 * {@code watch()}, where the kernel keeps the status of reaped processes (PIDFD_INFO_EXIT, Linux
 * 6.15). Each one blocks opening a FIFO until the test writes to it, so the watch is in place
 * before it ends, without any sleep.
 */
@EnabledOnOs(OS.LINUX)
class NonChildStatusTest {

    static ExitStatus await(CompletableFuture<ExitStatus> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void exitCodeSignalAndCoreDumpOfAShellsChild(MonitorBackend backend, @TempDir Path dir) throws Exception {
        assumeThat(ProcessMonitor.nonChildStatusUnavailabilityCause()).as("PIDFD_INFO_EXIT here").isEmpty();
        String pattern = new String(ProcFs.readFile(Path.of("/proc/sys/kernel/core_pattern"))).trim();
        boolean cores = !pattern.startsWith("|"); // a pipe handler may refuse dumps
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            expect(monitor, dir, "exit 3", new ExitStatus.Exited(3));
            expect(monitor, dir, "kill -TERM $$", new ExitStatus.Signaled(Signal.TERM, false));
            expect(monitor, dir, "ulimit -c 0; kill -SEGV $$", new ExitStatus.Signaled(Signal.SEGV, false));
            if (cores) expect(monitor, dir, "ulimit -c unlimited; kill -SEGV $$", new ExitStatus.Signaled(Signal.SEGV, true));
        }
    }

    /** A shell's child runs {@code body} once released, and its parent shell reaps it. */
    private static void expect(ProcessMonitor monitor, Path dir, String body, ExitStatus expected) throws Exception {
        try (Children.Released p = Children.nonChildReleased(body, dir)) {
            CompletableFuture<ExitStatus> f = monitor.watch(p.pid());
            assertThat(f).isNotDone();
            p.release();
            assertThat(await(f)).as(body).isEqualTo(expected);
        }
    }

    /**
     * An orphan: its parent exits at once, so it is reparented to the nearest subreaper, here a
     * small python3 process (PR_SET_CHILD_SUBREAPER) rather than pid 1, which in some sandboxes
     * never reaps. The subreaper reaps it and prints the status it got; ours must be the same.
     */
    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void anOrphanReapedByASubreaper(MonitorBackend backend, @TempDir Path dir) throws Exception {
        assumeThat(ProcessMonitor.nonChildStatusUnavailabilityCause()).as("PIDFD_INFO_EXIT here").isEmpty();
        Path python = Path.of("/usr/bin/python3");
        assumeThat(Files.isExecutable(python)).as("python3 for the subreaper").isTrue();
        Path fifo = Children.fifo(dir);
        String script = String.join("\n",
                "import ctypes, os, sys",
                "libc = ctypes.CDLL(None, use_errno=True)",
                "if libc.prctl(36, 1, 0, 0, 0) != 0: sys.exit('prctl(PR_SET_CHILD_SUBREAPER): errno %d' % ctypes.get_errno())",
                "mid = os.fork()",
                "if mid == 0:",
                "    g = os.fork()",
                "    if g == 0:",
                "        os.execv('/bin/sh', ['sh', '-c', 'read x < \"$0\"; exit 5', sys.argv[1]])",
                "    print(g, flush=True)",
                "    os._exit(0)",
                "os.waitpid(mid, 0)",
                "print('orphaned', flush=True)",
                "pid, status = os.waitpid(-1, 0)",
                "print(pid, status, flush=True)");
        Process reaper = new ProcessBuilder(python.toString(), "-c", script, fifo.toString()).redirectErrorStream(true).start();
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            BufferedReader out = new BufferedReader(new InputStreamReader(reaper.getInputStream(), StandardCharsets.US_ASCII));
            int orphan = Integer.parseInt(out.readLine().trim());
            assertThat(out.readLine()).isEqualTo("orphaned");
            assertThat(ProcStat.read(orphan).orElseThrow().ppid()).as("adopted by the subreaper").isEqualTo((int) reaper.pid());
            CompletableFuture<ExitStatus> f = monitor.watch(orphan);
            Children.release(fifo);
            assertThat(await(f)).isEqualTo(new ExitStatus.Exited(5));
            assertThat(out.readLine()).as("what the subreaper reaped").isEqualTo(orphan + " " + (5 << 8));
            assertThat(reaper.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            reaper.destroyForcibly();
        }
    }
}
