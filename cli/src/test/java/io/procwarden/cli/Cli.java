package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code procwarden.jar} (path from the {@code procwarden.jar} system property,
 * set by failsafe) in a new JVM, as a user would, and reads its output line by line as it comes.
 * Every wait is on an event (a line, an exit) with a generous deadline; nothing sleeps.
 */
final class Cli {
    /** Deadline for anything that should take milliseconds: only a broken build waits this long. */
    static final Duration GENEROUS = Duration.ofSeconds(60);

    private static final String EOF = "\u0000EOF";

    private Cli() {}

    static Path jar() {
        String jar = System.getProperty("procwarden.jar");
        assertThat(jar).as("system property procwarden.jar (set by failsafe)").isNotBlank();
        assertThat(Path.of(jar)).as("the packaged CLI jar").isRegularFile();
        return Path.of(jar);
    }

    /** Runs the CLI to completion. */
    static Result run(String... args) {
        try (Running cli = start(args)) {
            return cli.finish();
        }
    }

    /** Starts the CLI; close the result to kill it if a test fails early. */
    static Running start(String... args) {
        return start(Map.of(), args);
    }

    /** Starts the CLI with these variables added to its environment. */
    static Running start(Map<String, String> env, String... args) {
        return start(command(args), env, null);
    }

    /** The command line that runs the jar with {@code args}, as a user would type it. */
    static List<String> command(String... args) {
        return command(List.of(), args);
    }

    /** The command line that runs the jar with extra JVM options ({@code -Dname=value}) and {@code args}. */
    static List<String> command(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar().toString()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Starts any command (the jar wrapped in {@code sh}, the launcher) with {@code env} added to
     * this JVM's environment, in {@code dir} (null: ours); stdin is empty.
     */
    static Running start(List<String> command, Map<String, String> env, Path dir) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().putAll(env);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            Process process = pb.start();
            process.getOutputStream().close(); // stdin: empty
            return new Running(process);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs any command (see {@link #start(List, Map, Path)}) to completion. */
    static Result run(List<String> command) {
        try (Running cli = start(command, Map.of(), null)) {
            return cli.finish();
        }
    }

    /** The repository root (README.md, the launcher), from the {@code procwarden.root} property set by failsafe. */
    static Path root() {
        String root = System.getProperty("procwarden.root");
        assertThat(root).as("system property procwarden.root (set by failsafe)").isNotBlank();
        return Path.of(root).toAbsolutePath().normalize();
    }

    /** Sends a signal (a {@code kill -s} name: TERM, INT, HUP) to a process and waits until {@code kill} is done. */
    static void signal(long pid, String name) {
        Result r = run(List.of("kill", "-s", name, Long.toString(pid)));
        assertThat(r.exit()).as("kill -s %s %d: %s", name, pid, r).isZero();
    }

    /** Starts {@code sleep 600}: a live process that is not a child of the CLI's JVM. */
    static Process sleeper() {
        try {
            return new ProcessBuilder("sleep", "600").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills a sleeper and waits until it is gone (reaped by this JVM). */
    static void kill(Process p) {
        p.destroy();
        try {
            assertThat(p.waitFor(GENEROUS.toSeconds(), TimeUnit.SECONDS)).as("sleeper %d ended", p.pid()).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A pid that has no process right now: the highest free one below pid_max. */
    static long freePid() {
        long max = pidMax();
        for (long pid = max - 1; pid > 1000; pid--) {
            if (ProcessHandle.of(pid).isEmpty() && !Files.exists(Path.of("/proc", Long.toString(pid)))) {
                return pid;
            }
        }
        return fail("no free pid below pid_max " + max);
    }

    /** Linux /proc/sys/kernel/pid_max (read in one read: an int sysctl gives EOF at an offset); 99999 on macOS. */
    static long pidMax() {
        Path file = Path.of("/proc/sys/kernel/pid_max");
        if (!Files.exists(file)) {
            return 99_999;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Long.parseLong(new String(in.readNBytes(64), StandardCharsets.US_ASCII).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How a run ended. */
    record Result(int exit, List<String> out, List<String> err) {
        String errText() {
            return String.join("\n", err);
        }

        /** The last stderr line (where --json and --status go, after anything the child wrote). */
        String lastErr() {
            assertThat(err).as("stderr of %s", this).isNotEmpty();
            return err.getLast();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + String.join("\n", out) + "\n--- stderr\n" + errText();
        }
    }

    /** A running CLI with its stdout and stderr read into line queues by two virtual threads. */
    static final class Running implements AutoCloseable {
        private final Process process;
        private final Stream out;
        private final Stream err;

        Running(Process process) {
            this.process = process;
            this.out = new Stream(process.getInputStream());
            this.err = new Stream(process.getErrorStream());
        }

        long pid() {
            return process.pid();
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** Waits for a stdout line equal to {@code line}; fails if the CLI ends first. */
        void awaitOut(String line) {
            while (true) {
                if (nextOutLine().equals(line)) {
                    return;
                }
            }
        }

        /** Waits for the next stdout line; fails if the CLI ends first. */
        String nextOutLine() {
            return out.next().orElseGet(() -> fail("the CLI ended before printing a line: " + finish()));
        }

        /** Waits for a stderr line containing {@code text}; fails if the CLI ends first. */
        String awaitErr(String text) {
            while (true) {
                Optional<String> line = err.next();
                if (line.isEmpty()) {
                    return fail("the CLI ended without printing \"" + text + "\" on stderr: " + finish());
                }
                if (line.get().contains(text)) {
                    return line.get();
                }
            }
        }

        /** Waits for the exit and the end of both streams. */
        Result finish() {
            try {
                if (!process.waitFor(GENEROUS.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail("the CLI did not end within " + GENEROUS + "; stderr so far: " + err.all());
                }
                return new Result(process.exitValue(), out.rest(), err.rest());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    /** One output stream: every line, and the ones not yet consumed by {@link #next()}. */
    private static final class Stream {
        private final List<String> all = new ArrayList<>(); // guarded by this
        private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
        private final List<String> consumed = new ArrayList<>(); // test thread only

        Stream(InputStream in) {
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (this) {
                            all.add(line);
                        }
                        unread.add(line);
                    }
                } catch (IOException e) {
                    unread.add("(read failed: " + e + ")");
                } finally {
                    unread.add(EOF);
                }
            });
        }

        /** The next line; empty at end of stream. */
        Optional<String> next() {
            try {
                String line = unread.poll(GENEROUS.toSeconds(), TimeUnit.SECONDS);
                if (line == null) {
                    return fail("no output line within " + GENEROUS + "; so far: " + all());
                }
                if (line.equals(EOF)) {
                    unread.add(EOF); // keep the end visible to later calls
                    return Optional.empty();
                }
                consumed.add(line);
                return Optional.of(line);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        /** Every line, once the stream has ended. */
        List<String> rest() {
            while (next().isPresent()) {
                // drain: lines go to consumed
            }
            return List.copyOf(consumed);
        }

        synchronized List<String> all() {
            return List.copyOf(all);
        }
    }
}
