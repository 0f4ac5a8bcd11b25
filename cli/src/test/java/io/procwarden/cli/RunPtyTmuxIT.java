package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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

    private Tmux tmux;

    @BeforeEach
    void server() {
        Tmux.requireInstalled();
        tmux = new Tmux("procwarden-it", dir);
    }

    @AfterEach
    void killServer() throws Exception {
        if (tmux != null) tmux.close();
    }

    private String read(String name) throws IOException {
        return Files.readString(dir.resolve(name)).strip();
    }

    @Test
    void ptyRunInATerminalIsRawWhileItRunsFollowsResizesAndRestoresTheTerminalOnEveryExit() throws Exception {
        String pw = Tmux.procwarden("run", "--pty", "--");
        Files.writeString(dir.resolve("pane.sh"), String.join("\n",
                "cd " + Tmux.quote(dir.toString()),
                "export PS1='P> ' PROMPT_COMMAND='tmux wait-for -S prompt'",
                "stty -g > before",
                pw + " bash --norc --noprofile -i; echo $? > rc1; stty -g > after1",
                pw + " sh -c 'kill -SEGV $$'; echo $? > rc2; stty -g > after2",
                pw + " sh -c 'echo $PPID > pwpid; trap \"exit 5\" TERM; tmux wait-for -S up; read x'; echo $? > rc3;"
                        + " stty -g > after3",
                "tmux wait-for -S finished",
                "exec cat",
                ""));
        tmux.start(100, 30, "sh " + Tmux.quote(dir.resolve("pane.sh").toString()));

        tmux.await("prompt");
        tmux.keys("stty size; tty; test -t 0 && echo ON-A-TTY", "Enter");
        tmux.await("prompt");
        assertThat(tmux.screen()).contains("30 100").containsPattern("/dev/pts/\\d+").contains("ON-A-TTY");
        // The relay was running once that output came through it.
        String paneTty = tmux.run("display-message", "-p", "-t", "t", "#{pane_tty}").strip();
        Process stty = new ProcessBuilder("stty", "-a", "-F", paneTty).redirectErrorStream(true).start();
        String modes = new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        stty.waitFor();
        assertThat(modes).as("procwarden's terminal while CMD runs: raw").contains("-icanon", "-echo", "-isig");

        tmux.keys("python3 -c \"import os,signal,subprocess; signal.signal(signal.SIGWINCH,"
                + " lambda *a: print('WINCH', os.get_terminal_size().lines, os.get_terminal_size().columns));"
                + " subprocess.run(['tmux','wait-for','-S','armed']); signal.pause()\"", "Enter");
        tmux.await("armed");
        tmux.run("resize-window", "-t", "t", "-x", "120", "-y", "40");
        tmux.await("prompt");
        assertThat(tmux.screen()).contains("WINCH 40 120");

        tmux.keys("sh -c 'trap \"echo CAUGHT-INT; exit 0\" INT; tmux wait-for -S reading; read x'",
                "Enter");
        tmux.await("reading");
        tmux.keys("C-c");
        tmux.await("prompt");
        assertThat(tmux.screen()).as("Ctrl-C reached CMD's foreground job").contains("CAUGHT-INT");

        tmux.keys("exit 7", "Enter");
        tmux.await("up");
        long pw3 = Long.parseLong(read("pwpid"));
        Cli.signal(pw3, "TERM");
        tmux.await("finished");

        assertThat(read("rc1")).as("bash's exit status").isEqualTo("7");
        assertThat(read("rc2")).as("CMD crashed: 128+SIGSEGV").isEqualTo("139");
        assertThat(read("rc3")).as("procwarden got SIGTERM, passed it on; CMD exited 5").isEqualTo("5");
        String before = read("before");
        assertThat(read("after1")).as("restored after a normal exit").isEqualTo(before);
        assertThat(read("after2")).as("restored after CMD crashed").isEqualTo(before);
        assertThat(read("after3")).as("restored after procwarden was signalled").isEqualTo(before);
    }
}
