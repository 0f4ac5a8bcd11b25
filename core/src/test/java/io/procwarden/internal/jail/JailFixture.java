package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.JailSpec;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.monitor.BackendProbe;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.internal.spawn.PosixSpawner;
import io.procwarden.internal.spawn.SpawnFailure;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Jailed children for tests: run to the end with output captured in a file, or started with
 * pipes to talk to. Prerequisites (root, bwrap) are asserted, never assumed: a missing one fails
 * the test with its name. Nothing sleeps: waits are on futures and blocking reads, with timeouts.
 */
final class JailFixture implements AutoCloseable {
    static final long TIMEOUT_SECONDS = 60;

    final MonitorLoop loop;

    JailFixture() throws SyscallException {
        loop = MonitorLoop.start(BackendProbe.selected());
    }

    @Override
    public void close() {
        loop.close();
    }

    /** A finished jailed run: its outcome and everything it wrote to stdout and stderr. */
    record Run(JailedChild child, JailedChild.Outcome outcome, String output) {}

    /** Runs {@code argv} jailed, stdin /dev/null, stdout and stderr to one file, and waits for the end and cleanup. */
    Run run(JailSpec spec, String... argv) throws Exception {
        return run(spec, Map.of(), argv);
    }

    /** The same with more descriptors for the child (number in the child -> ours). */
    Run run(JailSpec spec, Map<Integer, Fd> extra, String... argv) throws Exception {
        Path out = Files.createTempFile("procwarden-jail-", ".out");
        try (Fd file = Unistd.open(out.toString(), Unistd.O_WRONLY | Unistd.O_TRUNC, 0);
                Fd devNull = Unistd.open("/dev/null", Unistd.O_RDONLY, 0)) {
            Map<Integer, Fd> fds = new HashMap<>(extra);
            fds.putAll(Map.of(0, devNull, 1, file, 2, file));
            JailedChild c = JailLauncher.spawn(spec, request(argv, fds), loop, null);
            JailedChild.Outcome o = c.onExit().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new Run(c, o, Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static PosixSpawner.Request request(String[] argv, Map<Integer, Fd> fds) {
        return new PosixSpawner.Request(argv[0], List.of(argv), null, null, fds, false, false);
    }

    /** A running jailed child with a pipe to its stdin and one from its stdout and stderr. */
    final class Talk implements AutoCloseable {
        final JailedChild child;
        private final Fd toChild;
        private final Fd fromChild;

        Talk(JailSpec spec, String... argv) throws IOException, SpawnFailure {
            Fd[] in = Unistd.pipe();
            Fd[] out = Unistd.pipe();
            try {
                Map<Integer, Fd> fds = new HashMap<>(Map.of(0, in[0], 1, out[1], 2, out[1]));
                child = JailLauncher.spawn(spec, request(argv, fds), loop, null);
            } catch (IOException | SpawnFailure | RuntimeException e) {
                in[1].close();
                out[0].close();
                throw e;
            } finally {
                in[0].close();
                out[1].close();
            }
            toChild = in[1];
            fromChild = out[0];
        }

        /** Reads one line (blocking; the caller's future times it out). */
        String readLine() throws SyscallException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment b = arena.allocate(1);
                while (Unistd.read(fromChild, b, 1) == 1) {
                    byte c = b.get(ValueLayout.JAVA_BYTE, 0);
                    if (c == '\n') break;
                    line.write(c);
                }
            }
            return line.toString(StandardCharsets.UTF_8);
        }

        /** Reads a line with a timeout (the blocking read runs on another thread). */
        String awaitLine() throws Exception {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return readLine();
                } catch (SyscallException e) {
                    throw new IllegalStateException(e);
                }
            }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        void writeLine(String s) throws SyscallException {
            byte[] bytes = (s + "\n").getBytes(StandardCharsets.UTF_8);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment b = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
                Unistd.write(toChild, b, bytes.length);
            }
        }

        JailedChild.Outcome awaitExit() throws Exception {
            return child.onExit().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        /** Kills what is left and waits for the cleanup. */
        @Override
        public void close() throws Exception {
            try {
                if (!child.onExit().isDone()) child.destroy();
                awaitExit();
            } finally {
                toChild.close();
                fromChild.close();
            }
        }
    }

    /** /proc/self/status of a child started by the plain hardened spawn, for comparison. */
    static String plainChildStatus() throws Exception {
        Path out = Files.createTempFile("procwarden-plain-", ".out");
        try (Fd file = Unistd.open(out.toString(), Unistd.O_WRONLY | Unistd.O_TRUNC, 0)) {
            PosixSpawner.Started s = PosixSpawner.spawn(request(new String[] {"/bin/cat", "/proc/self/status"}, Map.of(1, file)));
            if (s.pidfd() != null) s.pidfd().close();
            io.procwarden.internal.ffi.Wait.wait4(s.pid(), 0);
            return Files.readString(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    // ---- prerequisites: fail, naming what is missing ----

    static void requireRoot() {
        assertThat(JailHost.hasCapability(JailHost.CAP_SETUID) && JailHost.hasCapability(JailHost.CAP_SYS_ADMIN))
                .as("this test needs root (CAP_SETUID, CAP_SYS_ADMIN): run the suite as root, as .ci/run does")
                .isTrue();
    }

    static Path requireBwrap() {
        try {
            Path p = JailHost.resolve(JailSpec.none().namespaces(JailSpec.Namespace.PID)).bwrap();
            System.out.println("[jail] bubblewrap: " + p + " (" + ToolProbe.run(p, "--version").output().trim() + ")");
            return p;
        } catch (io.procwarden.JailUnavailableException e) {
            throw new AssertionError("this test needs bubblewrap: " + e.getMessage()
                    + " (scripts/ci-prereqs.sh installs it; .ci/run must call it)", e);
        }
    }

    // ---- reading what the child printed ----

    private static final Pattern LIMIT = Pattern.compile("^(Max [a-z ]+?)\\s{2,}(\\S+)\\s+(\\S+)", Pattern.MULTILINE);

    /** {@code /proc/self/limits} rows by name ("Max open files") -> [soft, hard]. */
    static Map<String, String[]> limits(String output) {
        Map<String, String[]> m = new HashMap<>();
        Matcher x = LIMIT.matcher(output);
        while (x.find()) m.put(x.group(1), new String[] {x.group(2), x.group(3)});
        return m;
    }

    /** The value of a {@code /proc/self/status} field ("Uid", "NoNewPrivs"), tabs turned into spaces. */
    static String status(String output, String field) {
        return output.lines().filter(l -> l.startsWith(field + ":")).findFirst()
                .map(l -> l.substring(field.length() + 1).trim().replace('\t', ' '))
                .orElseThrow(() -> new AssertionError("no " + field + " line in:\n" + output));
    }

    /** Directories named procwarden-* under the given cgroup parents (to prove none is left). */
    static List<Path> procwardenDirs(List<Path> parents) throws IOException {
        List<Path> found = new java.util.ArrayList<>();
        for (Path p : parents) {
            if (!Files.isDirectory(p)) continue;
            try (Stream<Path> s = Files.list(p)) {
                s.filter(d -> d.getFileName().toString().startsWith("procwarden-" + Unistd.getpid() + "-")).forEach(found::add);
            }
        }
        return found;
    }

    /** Our live child processes, from /proc/self/task/* /children. */
    static List<Integer> ourChildren() throws IOException {
        List<Integer> pids = new java.util.ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                String text;
                try {
                    text = new String(io.procwarden.internal.sys.ProcFs.readFile(t.resolve("children")), StandardCharsets.US_ASCII);
                } catch (IOException e) {
                    continue; // the thread ended
                }
                for (String p : text.trim().split("\\s+")) {
                    if (!p.isEmpty()) pids.add(Integer.parseInt(p));
                }
            }
        }
        return pids;
    }
}
