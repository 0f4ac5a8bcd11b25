package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A tmux server of a test's own (its own socket), for the ITs that use procwarden the way a person
 * does: keys sent with {@code send-keys}, the screen read with {@code capture-pane}, every wait a
 * {@code tmux wait-for} channel signalled from inside the pane, so nothing sleeps or polls.
 */
final class Tmux implements AutoCloseable {
    private final String socket;
    private final Path dir;
    private boolean started;

    /**
     * @param name the socket's prefix (this JVM's pid is added)
     * @param dir where the clients' output goes (the test's temporary directory)
     */
    Tmux(String name, Path dir) {
        this.socket = name + "-" + ProcessHandle.current().pid();
        this.dir = dir;
    }

    /**
     * Fails on Linux if tmux is missing (a prerequisite there: scripts/ci-prereqs.sh installs it),
     * skips elsewhere.
     */
    static void requireInstalled() {
        boolean tmux = Files.isExecutable(Path.of("/usr/bin/tmux")) || Files.isExecutable(Path.of("/bin/tmux"));
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertThat(tmux).as("tmux is installed (scripts/ci-prereqs.sh; apt-get install tmux)").isTrue();
        }
        assumeTrue(tmux, "tmux is not installed");
    }

    /** Starts the server with one session {@code t} of this size running {@code shellCommand}. */
    void start(int columns, int rows, String shellCommand) throws IOException, InterruptedException {
        started = true;
        run("new-session", "-d", "-s", "t", "-x", String.valueOf(columns), "-y", String.valueOf(rows), shellCommand);
    }

    /** Runs one tmux command against this server; fails unless it ends, with status 0, within GENEROUS. */
    String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket));
        cmd.addAll(List.of(args));
        // Output to a file, not read from a pipe: a wait that never ends then fails after GENEROUS
        // (waitFor is interruptible and bounded; a blocked pipe read would be neither).
        Path file = Files.createTempFile(dir, "tmux", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(file.toFile()).start();
        boolean ended = p.waitFor(Cli.GENEROUS.toSeconds(), TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly();
        String out = Files.readString(file);
        assertThat(ended).as("tmux " + String.join(" ", args) + " ended within " + Cli.GENEROUS.toSeconds() + " s").isTrue();
        assertThat(p.exitValue()).as("tmux " + String.join(" ", args) + ": " + out).isZero();
        return out;
    }

    /** Waits until the pane signals {@code channel}. */
    void await(String channel) throws IOException, InterruptedException {
        run("wait-for", channel);
    }

    /** Sends keys to the session's pane. */
    void keys(String... keys) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", "t"));
        args.addAll(List.of(keys));
        run(args.toArray(String[]::new));
    }

    /** The pane's screen and 200 lines of its history, wrapped lines joined. */
    String screen() throws IOException, InterruptedException {
        return run("capture-pane", "-p", "-J", "-S", "-200");
    }

    /** {@code s} quoted for sh. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** procwarden's command line with these words, quoted for a shell in the pane. */
    static String procwarden(String... words) {
        return Cli.command(words).stream().map(Tmux::quote).collect(Collectors.joining(" "));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (started) run("kill-server");
    }
}
