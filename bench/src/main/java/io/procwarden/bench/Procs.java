package io.procwarden.bench;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.SpawnException;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.sys.ProcFs;
import io.procwarden.internal.sys.ProcStat;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starting, killing and accounting for the benchmark's processes.
 *
 * <p>Every long-lived process ({@code sleep 600}) carries the environment variable
 * {@value #TAG_NAME} with a value unique to this run, so that {@link #leftovers()} can find any
 * that escaped, ours only, even when other programs run {@code sleep 600} on the same machine.
 */
final class Procs {
    private Procs() {}

    static final String TAG_NAME = "PROCWARDEN_BENCH_RUN";
    static final String TAG = ProcessHandle.current().pid() + "-" + System.nanoTime();
    private static final int SELF = (int) ProcessHandle.current().pid();

    static final String SLEEP = which("sleep");
    static final String TRUE = "/bin/true";

    /** The absolute path of a command found on PATH (what ProcessBuilder does for each start). */
    static String which(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, command);
            if (Files.isExecutable(p)) return p.toAbsolutePath().toString();
        }
        throw new IllegalStateException(command + " not found on PATH");
    }

    /** A child started through procwarden's public API, and its exit future. */
    record Child(ChildProcess process, CompletableFuture<ExitStatus> exit) {
        int pid() {
            return (int) process.pid();
        }
    }

    /**
     * {@code spec.spawn(monitor)}: the public API a user calls (program lookup, stdio, posix_spawn,
     * pidfd, registration); the monitor reaps the child and completes the future on its thread.
     */
    static Child spawn(ProcessMonitor monitor, ProcessSpec spec) {
        try {
            ChildProcess c = spec.spawn(monitor);
            return new Child(c, c.onExit());
        } catch (SpawnException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** {@code sleep 600} carrying the tag in its environment (the rest inherited). */
    static final ProcessSpec SLEEPER = ProcessSpec.of(which("sleep"), "600").env(TAG_NAME, TAG);

    /** A tagged {@code sleep 600} child of procwarden. */
    static Child sleeper(ProcessMonitor monitor) {
        return spawn(monitor, SLEEPER);
    }

    /** A ProcessBuilder carrying the tag in its environment. */
    static ProcessBuilder jdk(String... command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put(TAG_NAME, TAG);
        return pb;
    }

    /** SIGKILL by pid; the process must exist (an unreaped child of ours, or a non-child we own). */
    static void kill9(long pid) {
        try {
            if (!Signals.kill((int) pid, 9)) {
                throw new IllegalStateException("kill(" + pid + ", SIGKILL): no such process");
            }
        } catch (SyscallException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** What an exit future gave, and the nanoseconds from just before kill(2) to its completion. */
    record Timed<T>(T value, long nanos) {}

    /**
     * The exit-notice measurement every comparison uses: a completion stamp is registered on
     * {@code exit} first, then the time is taken, {@code pid} is sent SIGKILL, and the future is
     * awaited (30 s at most). The stamp runs on whatever thread completes the future, when it does.
     */
    static <T> Timed<T> killAndTime(CompletableFuture<T> exit, long pid) throws Exception {
        AtomicLong done = new AtomicLong();
        CompletableFuture<T> stamped = exit.whenComplete((v, e) -> done.set(System.nanoTime()));
        long t0 = System.nanoTime();
        kill9(pid);
        T value = stamped.get(30, TimeUnit.SECONDS);
        return new Timed<>(value, done.get() - t0);
    }

    /** Closes the three standard streams of a JDK child (its pipes), ignoring nothing. */
    static void closeStreams(Process p) throws IOException {
        p.getOutputStream().close();
        p.getInputStream().close();
        p.getErrorStream().close();
    }

    /**
     * Processes this run left behind: tagged processes still alive, and children of this JVM
     * (alive or zombie). Kills the tagged ones it finds. Empty when clean.
     */
    static List<String> leftovers() {
        List<String> found = new ArrayList<>();
        byte[] needle = ("\0" + TAG_NAME + "=" + TAG + "\0").getBytes(StandardCharsets.US_ASCII);
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : dir) {
                int pid = Integer.parseInt(p.getFileName().toString());
                if (pid == SELF) continue;
                var stat = ProcStat.read(pid);
                if (stat.isEmpty()) continue;
                if (stat.get().ppid() == SELF) {
                    found.add(pid + " (our child, state " + stat.get().state() + ", " + cmdline(pid) + ")");
                } else if (contains(environ(pid), needle)) {
                    found.add(pid + " (tagged, state " + stat.get().state() + ", " + cmdline(pid) + "): killed");
                    try {
                        Signals.kill(pid, 9);
                    } catch (SyscallException e) {
                        found.add("kill(" + pid + ") failed: " + e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            found.add("cannot scan /proc: " + e);
        }
        return found;
    }

    private static byte[] environ(int pid) {
        try {
            byte[] b = ProcFs.readFile(Path.of("/proc", Integer.toString(pid), "environ"));
            byte[] framed = new byte[b.length + 1];
            framed[0] = 0;
            System.arraycopy(b, 0, framed, 1, b.length);
            return framed;
        } catch (IOException e) {
            return new byte[0]; // not ours (EACCES) or gone (ESRCH)
        }
    }

    private static String cmdline(int pid) {
        try {
            return new String(ProcFs.readFile(Path.of("/proc", Integer.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) continue outer;
            }
            return true;
        }
        return false;
    }
}
