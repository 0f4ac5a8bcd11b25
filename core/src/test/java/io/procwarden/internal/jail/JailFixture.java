package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.JailSpec;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.SpawnException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.sys.ProcFs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert;

/**
 * Jailed children for tests, started through the public path
 * ({@code ProcessSpec.of(...).jail(spec).spawn(monitor)}): run to the end with output captured
 * in a file, or started with pipes to talk to. The {@link JailedChild} behind the public handle
 * (its cgroup, chain, pid file) is caught through the one test hook, {@link JailLauncher#hook}.
 * Prerequisites (root, bwrap) are asserted, never assumed: a missing one fails the test with its
 * name. Nothing sleeps: waits are on futures and blocking reads, with timeouts.
 */
final class JailFixture implements AutoCloseable {
    static final long TIMEOUT_SECONDS = 60;

    final ProcessMonitor monitor;

    JailFixture() {
        monitor = ProcessMonitor.create();
    }

    @Override
    public void close() {
        monitor.close();
    }

    /** A public handle and the jailed child behind it. */
    record Spawned(ChildProcess process, JailedChild child) {}

    /**
     * Spawns {@code spec} on this fixture's monitor, catching the {@link JailedChild} at
     * {@link JailLauncher.Step#SPAWNED}; a hook a test installed still runs (after the catch).
     */
    Spawned spawn(ProcessSpec spec) throws SpawnException {
        AtomicReference<JailedChild> seen = new AtomicReference<>();
        JailLauncher.Hook previous = JailLauncher.hook;
        JailLauncher.hook = (step, child) -> {
            if (step == JailLauncher.Step.SPAWNED) seen.set(child);
            previous.at(step, child);
        };
        try {
            ChildProcess p = spec.spawn(monitor);
            assertThat(seen.get()).as("the public path went through JailLauncher").isNotNull();
            assertThat(p.pid()).isEqualTo(seen.get().pid());
            return new Spawned(p, seen.get());
        } finally {
            JailLauncher.hook = previous;
        }
    }

    /** A finished jailed run: its outcome (as the jail saw it) and everything it wrote to stdout and stderr. */
    record Run(ChildProcess process, JailedChild child, JailedChild.Outcome outcome, String output) {}

    /** Runs {@code argv} jailed, stdin /dev/null, stdout and stderr to one file, and waits for the end and cleanup. */
    Run run(JailSpec spec, String... argv) throws Exception {
        return run(spec, Map.of(), argv);
    }

    /** The same with more descriptors for the child (number in the child -> ours). */
    Run run(JailSpec spec, Map<Integer, Fd> extra, String... argv) throws Exception {
        Path out = Files.createTempFile("procwarden-jail-", ".out");
        try {
            ProcessSpec p = ProcessSpec.of(List.of(argv)).stdin(Redirect.DISCARD).stdout(Redirect.to(out))
                    .stderr(Redirect.TO_STDOUT).jail(spec);
            for (Map.Entry<Integer, Fd> e : extra.entrySet()) p = p.preserveFd(e.getValue().number(), e.getKey());
            Spawned s = spawn(p);
            try (ChildProcess process = s.process()) {
                ExitStatus status = process.onExit().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                // The public exit follows the jail's cleanup, so the jail's outcome is there already.
                assertThat(s.child().onExit()).as("cleanup finished before the public exit").isDone();
                JailedChild.Outcome o = s.child().onExit().get();
                assertThat(status).as("the public handle reports the jail's status").isEqualTo(o.status());
                assertThat(process.resourceUsage()).contains(o.usage());
                return new Run(process, s.child(), o, Files.readString(out, StandardCharsets.UTF_8));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * The jail's own exception behind the {@link SpawnException} that the public path throws
     * for it (whose message carries the jail's).
     */
    static Throwable jailFailure(ThrowableAssert.ThrowingCallable spawn) {
        Throwable t = catchThrowable(spawn);
        assertThat(t).as("a failed jailed spawn").isInstanceOf(SpawnException.class).hasCauseInstanceOf(IOException.class);
        assertThat(t.getMessage()).contains(t.getCause().getMessage());
        return t.getCause();
    }

    /** A running jailed child with a pipe to its stdin and one from its stdout and stderr. */
    final class Talk implements AutoCloseable {
        final ChildProcess process;
        final JailedChild child;
        private final BufferedReader fromChild;

        Talk(JailSpec spec, String... argv) throws IOException {
            Spawned s = spawn(ProcessSpec.of(List.of(argv)).stdin(Redirect.PIPE).stdout(Redirect.PIPE)
                    .stderr(Redirect.TO_STDOUT).jail(spec));
            // What the child leaves in its cgroup may write after the child's own exit (and, on a
            // loaded machine, later than the default drain allows): read until the pipe's EOF.
            process = s.process().drainTimeout(java.time.Duration.ofSeconds(TIMEOUT_SECONDS));
            child = s.child();
            fromChild = new BufferedReader(new InputStreamReader(process.stdout(), StandardCharsets.UTF_8));
        }

        /** Reads a line with a timeout (the blocking read runs on another thread). */
        String awaitLine() throws Exception {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    String line = fromChild.readLine();
                    return line == null ? "" : line;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        JailedChild.Outcome awaitExit() throws Exception {
            ExitStatus status = process.onExit().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            JailedChild.Outcome o = child.onExit().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(status).isEqualTo(o.status());
            return o;
        }

        /** Kills what is left (the whole cgroup, through the containment) and waits for the cleanup. */
        @Override
        public void close() throws Exception {
            try {
                if (!child.onExit().isDone()) child.destroy();
                awaitExit();
            } finally {
                process.close();
            }
        }
    }

    /** /proc/self/status of a child started by the plain hardened spawn (no jail), for comparison. */
    static String plainChildStatus() throws Exception {
        try (ChildProcess p = ProcessSpec.of("/bin/cat", "/proc/self/status").stdin(Redirect.DISCARD)
                .stdout(Redirect.PIPE).spawn()) {
            String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.onExit().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Exited(0));
            return out;
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
            Path p = JailHost.resolve(sandboxPlan(JailPlan.Namespace.PID)).bwrap();
            System.out.println("[jail] bubblewrap: " + p + " (" + ToolProbe.run(p, "--version").output().trim() + ")");
            return p;
        } catch (io.procwarden.JailUnavailableException e) {
            throw new AssertionError("this test needs bubblewrap: " + e.getMessage()
                    + " (scripts/ci-prereqs.sh installs it; .ci/run must call it)", e);
        }
    }

    /** A plan with only these namespaces (bwrap from the system property or the usual places). */
    static JailPlan sandboxPlan(JailPlan.Namespace... namespaces) {
        JailPlan.Sandbox sandbox = new JailPlan.Sandbox(Set.of(namespaces), JailPlan.View.HOST, List.of(), List.of(), false, null);
        return new JailPlan(List.of(), JailPlan.Credentials.NONE, null, sandbox, null, null, null);
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
        List<Path> found = new ArrayList<>();
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
        List<Integer> pids = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                String text;
                try {
                    text = new String(ProcFs.readFile(t.resolve("children")), StandardCharsets.US_ASCII);
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
