package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --pty} the way a person uses it: in a tmux pane (a real terminal), keys sent with
 * {@code send-keys}, the screen read with {@code capture-pane}. Every wait is a
 * {@code tmux wait-for} channel signalled from inside the pane (the inner bash signals
 * {@code prompt} before each prompt through PROMPT_COMMAND), so nothing sleeps or polls.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RunPtyTmuxIT {
    @TempDir
    Path dir;

    private final String socket = "procwarden-it-" + ProcessHandle.current().pid();
    private boolean started;

    @AfterEach
    void killServer() throws Exception {
        if (started) tmux("kill-server");
    }

    private String tmux(String... args) throws IOException, InterruptedException {
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

    private void await(String channel) throws IOException, InterruptedException {
        tmux("wait-for", channel);
    }

    private String screen() throws IOException, InterruptedException {
        return tmux("capture-pane", "-p", "-J", "-S", "-200");
    }

    private String read(String name) throws IOException {
        return Files.readString(dir.resolve(name)).strip();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void ptyRunInATerminalIsRawWhileItRunsFollowsResizesAndRestoresTheTerminalOnEveryExit() throws Exception {
        boolean tmux = Files.isExecutable(Path.of("/usr/bin/tmux")) || Files.isExecutable(Path.of("/bin/tmux"));
        if (System.getProperty("os.name").startsWith("Linux")) {
            // A prerequisite here (scripts/ci-prereqs.sh installs it): missing, the test fails by name.
            assertThat(tmux).as("tmux is installed (scripts/ci-prereqs.sh; apt-get install tmux)").isTrue();
        }
        assumeTrue(tmux, "tmux is not installed");
        String pw = Cli.command("run", "--pty", "--").stream().map(RunPtyTmuxIT::quote).collect(Collectors.joining(" "));
        Files.writeString(dir.resolve("pane.sh"), String.join("\n",
                "cd " + quote(dir.toString()),
                "export PS1='P> ' PROMPT_COMMAND='tmux wait-for -S prompt'",
                "stty -g > before",
                pw + " bash --norc --noprofile -i; echo $? > rc1; stty -g > after1",
                pw + " sh -c 'kill -SEGV $$'; echo $? > rc2; stty -g > after2",
                pw + " sh -c 'echo $PPID > pwpid; trap \"exit 5\" TERM; tmux wait-for -S up; read x'; echo $? > rc3;"
                        + " stty -g > after3",
                "tmux wait-for -S finished",
                "exec cat",
                ""));
        started = true;
        tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", "sh " + quote(dir.resolve("pane.sh").toString()));

        await("prompt");
        tmux("send-keys", "-t", "t", "stty size; tty; test -t 0 && echo ON-A-TTY", "Enter");
        await("prompt");
        assertThat(screen()).contains("30 100").containsPattern("/dev/pts/\\d+").contains("ON-A-TTY");
        // The relay was running once that output came through it.
        String paneTty = tmux("display-message", "-p", "-t", "t", "#{pane_tty}").strip();
        Process stty = new ProcessBuilder("stty", "-a", "-F", paneTty).redirectErrorStream(true).start();
        String modes = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        stty.waitFor();
        assertThat(modes).as("procwarden's terminal while CMD runs: raw").contains("-icanon", "-echo", "-isig");

        tmux("send-keys", "-t", "t", "python3 -c \"import os,signal,subprocess; signal.signal(signal.SIGWINCH,"
                + " lambda *a: print('WINCH', os.get_terminal_size().lines, os.get_terminal_size().columns));"
                + " subprocess.run(['tmux','wait-for','-S','armed']); signal.pause()\"", "Enter");
        await("armed");
        tmux("resize-window", "-t", "t", "-x", "120", "-y", "40");
        await("prompt");
        assertThat(screen()).contains("WINCH 40 120");

        tmux("send-keys", "-t", "t", "sh -c 'trap \"echo CAUGHT-INT; exit 0\" INT; tmux wait-for -S reading; read x'",
                "Enter");
        await("reading");
        tmux("send-keys", "-t", "t", "C-c");
        await("prompt");
        assertThat(screen()).as("Ctrl-C reached CMD's foreground job").contains("CAUGHT-INT");

        tmux("send-keys", "-t", "t", "exit 7", "Enter");
        await("up");
        long pw3 = Long.parseLong(read("pwpid"));
        Cli.signal(pw3, "TERM");
        await("finished");

        assertThat(read("rc1")).as("bash's exit status").isEqualTo("7");
        assertThat(read("rc2")).as("CMD crashed: 128+SIGSEGV").isEqualTo("139");
        assertThat(read("rc3")).as("procwarden got SIGTERM, passed it on; CMD exited 5").isEqualTo("5");
        String before = read("before");
        assertThat(read("after1")).as("restored after a normal exit").isEqualTo(before);
        assertThat(read("after2")).as("restored after CMD crashed").isEqualTo(before);
        assertThat(read("after3")).as("restored after procwarden was signalled").isEqualTo(before);
    }
}
