package io.procwarden.testing;

import io.procwarden.Signal;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.spawn.PosixSpawner;
import io.procwarden.internal.spawn.SpawnFailure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Real processes for tests: children spawned without the JDK (so no JDK reaper competes), non-children, counters. */
public final class Children {
    private Children() {}

    /** Starts {@code /bin/sh -c script} as our child (not registered anywhere); returns its pid. */
    public static int sh(String script) {
        return sh(script, null);
    }

    /** Starts {@code /bin/sh -c script} in {@code cwd} as our child; returns its pid. */
    public static int sh(String script, Path cwd) {
        try {
            PosixSpawner.Started s = PosixSpawner.spawn(new PosixSpawner.Request("/bin/sh", List.of("sh", "-c", script),
                    null, cwd == null ? null : cwd.toString(), Map.of(), false, false));
            if (s.pidfd() != null) s.pidfd().close();
            return s.pid();
        } catch (SpawnFailure e) {
            throw new IllegalStateException("cannot spawn sh -c " + script + ": " + e.getMessage() + " errno " + e.errno(), e);
        }
    }

    /** Sends a signal by pid; only for our unreaped children or processes the test owns. */
    public static void kill(int pid, int signal) {
        try {
            if (!Signals.kill(pid, signal)) {
                throw new IllegalStateException("kill(" + pid + ", " + signal + "): no such process");
            }
        } catch (io.procwarden.SyscallException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A process that is not our child: a {@code sleep} started by an intermediate shell, which
     * is a JDK child. With {@code parentReaps} false the shell execs into a sleep that never
     * reaps, so the process stays a zombie after it dies.
     */
    public static NonChild nonChild(boolean parentReaps) {
        // The shell closes its stdout only when it is about to exec/wait, so EOF on our side
        // means it can no longer reap behind the test's back (dash reaps finished background
        // jobs between commands).
        String script = parentReaps
                ? "sleep 600 >/dev/null 2>&1 & echo $!; exec >&- 2>&-; wait"
                : "sleep 600 >/dev/null 2>&1 & echo $!; exec sleep 600 >&- 2>&-";
        try {
            Process parent = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII));
            int pid = Integer.parseInt(r.readLine().trim());
            if (r.read() != -1) throw new IllegalStateException("unexpected output from " + script);
            return new NonChild(pid, parent);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A non-child process and the JDK child that is its parent; close kills both. */
    public record NonChild(int pid, Process parent) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            try {
                Signals.kill(pid, Signal.KILL.number());
            } catch (io.procwarden.SyscallException e) {
                throw new IllegalStateException(e);
            }
            parent.destroyForcibly();
            parent.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static final java.util.concurrent.atomic.AtomicInteger FIFOS = new java.util.concurrent.atomic.AtomicInteger();

    /** Makes a new FIFO in {@code dir} (with mkfifo(1)). */
    public static Path fifo(Path dir) {
        Path fifo = dir.resolve("release-" + FIFOS.incrementAndGet());
        try {
            Process p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("mkfifo " + fifo + ": " + new String(p.getInputStream().readAllBytes()));
            }
            return fifo;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Releases whoever blocks reading {@code fifo}: opening it for writing waits for that reader. */
    public static void release(Path fifo) {
        try {
            Files.writeString(fifo, "go\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A non-child that runs {@code body} (as {@code sh -c}, in {@code dir}) once {@link Released#release()}
     * is called, and that its parent, a JDK-started shell, reaps.
     */
    public static Released nonChildReleased(String body, Path dir) {
        Path fifo = fifo(dir);
        // The parent closes its stdout only when it is about to wait: EOF on our side means the
        // child runs (blocked on the FIFO) and only the shell's wait will reap it.
        String inner = "read x < \"$0\"; " + body;
        String script = "sh -c '" + inner.replace("'", "'\\''") + "' \"$0\" >/dev/null 2>&1 & echo $!; exec >&- 2>&-; wait";
        try {
            Process parent = new ProcessBuilder("/bin/sh", "-c", script, fifo.toString()).directory(dir.toFile())
                    .redirectErrorStream(true).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.US_ASCII));
            int pid = Integer.parseInt(r.readLine().trim());
            if (r.read() != -1) throw new IllegalStateException("unexpected output from " + script);
            return new Released(pid, parent, fifo);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A non-child blocked on a FIFO until released, and the shell that is its parent; close ends both. */
    public record Released(int pid, Process parent, Path fifo) implements AutoCloseable {
        public void release() {
            Children.release(fifo);
        }

        @Override
        public void close() throws InterruptedException {
            if (parent.isAlive() && running(pid)) {
                try {
                    Signals.kill(pid, Signal.KILL.number()); // still its parent's child: its pid is not reused
                } catch (io.procwarden.SyscallException e) {
                    throw new IllegalStateException(e);
                }
            }
            if (!parent.waitFor(60, TimeUnit.SECONDS)) parent.destroyForcibly();
        }

        private static boolean running(int pid) {
            return io.procwarden.internal.sys.ProcStat.read(pid).map(s -> !s.hasExited()).orElse(false);
        }
    }

    /** A pid with no process: free now (nothing under /proc), below pid_max. */
    public static int freePid() {
        int max = pidMax();
        for (int pid = max - 1; pid > 300; pid--) {
            if (!Files.exists(Path.of("/proc", Integer.toString(pid)))) return pid;
        }
        throw new IllegalStateException("no free pid");
    }

    public static int pidMax() {
        try {
            return Integer.parseInt(new String(io.procwarden.internal.sys.ProcFs.readFile(
                    Path.of("/proc/sys/kernel/pid_max")), StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The number of open descriptors of this JVM. */
    public static long openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count() - 1; // the directory stream's own descriptor
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Live threads whose name starts with {@code prefix}. */
    public static long threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                .count();
    }

    /** The state letter of a process from /proc/PID/stat, or '?' if gone. */
    public static char state(int pid) {
        return io.procwarden.internal.sys.ProcStat.read(pid).map(s -> s.state()).orElse('?');
    }

    /**
     * Every process whose parent is this JVM, in any state (a zombie shows as 'Z'), by scanning
     * {@code /proc/[0-9]*}{@code /stat}. Processes that vanish during the scan are skipped.
     */
    public static List<io.procwarden.internal.sys.ProcStat> ofThisJvm() {
        int self = io.procwarden.internal.ffi.Unistd.getpid();
        try (Stream<Path> all = Files.list(Path.of("/proc"))) {
            return all.map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(name -> io.procwarden.internal.sys.ProcStat.read(Integer.parseInt(name)))
                    .flatMap(java.util.Optional::stream)
                    .filter(s -> s.ppid() == self)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pids of our children that are zombies right now. */
    public static List<Integer> zombiesOfThisJvm() {
        return ofThisJvm().stream().filter(s -> s.state() == 'Z').map(s -> s.pid()).toList();
    }

    /** Closes an fd quietly (test cleanup). */
    public static void close(Fd fd) {
        if (fd != null) fd.close();
    }
}
