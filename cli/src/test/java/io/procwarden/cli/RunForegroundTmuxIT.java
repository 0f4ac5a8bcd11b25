package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} without {@code --pty}, typed at an interactive bash in a tmux pane: CMD is the
 * terminal's foreground job (it reads the terminal, gets Ctrl-C), Ctrl-Z stops it together with
 * procwarden and {@code fg} brings both back, and the terminal's settings are as before after
 * CMD crashed in raw mode. Every wait is a {@code tmux wait-for} channel signalled from inside the
 * pane (PROMPT_COMMAND signals {@code prompt} before each prompt of the outer and inner bash).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RunForegroundTmuxIT {
    @TempDir
    Path dir;

    private final String socket = "procwarden-fg-it-" + ProcessHandle.current().pid();
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

    /** Types lines at the pane (each one with Enter) and waits for the next prompt. */
    private void typeLines(String... lines) throws IOException, InterruptedException {
        for (String line : lines) tmux("send-keys", "-t", "t", line, "Enter");
        tmux("wait-for", "prompt");
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
    void cmdIsTheForegroundJobStopsAndContinuesWithProcwardenAndTheTerminalComesBack() throws Exception {
        boolean tmux = Files.isExecutable(Path.of("/usr/bin/tmux")) || Files.isExecutable(Path.of("/bin/tmux"));
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertThat(tmux).as("tmux is installed (scripts/ci-prereqs.sh; apt-get install tmux)").isTrue();
        }
        assumeTrue(tmux, "tmux is not installed");
        String pw = Cli.command("run", "--").stream().map(RunForegroundTmuxIT::quote).collect(Collectors.joining(" "));
        Files.writeString(dir.resolve("rc"), String.join("\n",
                "cd " + quote(dir.toString()),
                "export PS1='P> ' PROMPT_COMMAND='tmux wait-for -S prompt'",
                ""));
        started = true;
        tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30",
                "bash --noprofile --rcfile " + quote(dir.resolve("rc").toString()) + " -i");
        tmux("wait-for", "prompt");
        typeLines("stty -g > before");

        // An interactive bash as CMD: its own group, the terminal's foreground one, in our session.
        typeLines(pw + " bash --norc --noprofile -i");
        typeLines("read -r l < /proc/$$/stat; echo \"STAT $$ $PPID $l END\"");
        Matcher m = Pattern.compile("STAT (\\d+) (\\d+) \\d+ \\(bash\\) \\S+ \\d+ (\\d+) (\\d+) \\d+ (\\d+) ")
                .matcher(screen());
        assertThat(m.find()).as("the stat line on the screen:\n" + screen()).isTrue();
        String pid = m.group(1);
        assertThat(m.group(3)).as("CMD leads its own process group").isEqualTo(pid);
        assertThat(m.group(5)).as("which is the terminal's foreground group").isEqualTo(pid);
        assertThat(m.group(2)).as("procwarden (CMD's parent) is not in CMD's group").isNotEqualTo(pid);
        typeLines("read n; echo \"HI-$n\"", "world");
        assertThat(screen()).as("CMD read the terminal").contains("HI-world");
        tmux("send-keys", "-t", "t", "sh -c 'trap \"echo CAUGHT-INT; exit 0\" INT; tmux wait-for -S reading; read x'",
                "Enter");
        tmux("wait-for", "reading");
        tmux("send-keys", "-t", "t", "C-c");
        tmux("wait-for", "prompt");
        assertThat(screen()).as("the terminal's Ctrl-C reached CMD's job").contains("CAUGHT-INT");
        typeLines("stty raw -echo; kill -SEGV $$"); // CMD crashes in raw mode: the outer prompt next
        typeLines("echo $? > rc1; stty -g > after1");

        // Ctrl-Z stops CMD and procwarden; fg continues both, and CMD reads the terminal again (if it
        // did not have it, it would stop at the read with SIGTTIN). "def" is typed only once CMD reads:
        // typed earlier, the outer bash's readline could gather it as its own typeahead.
        // One tmux client signals "got" and then waits for "go": Ctrl-Z finds CMD's shell waiting for
        // it, not in the middle of a vfork (whose parent cannot stop until the child has exec'd).
        tmux("send-keys", "-t", "t", pw + " sh -c 'read x; echo \"GOT-$x\"; tmux wait-for -S got \\; wait-for go;"
                + " tmux wait-for -S reading; read y; echo \"GOT2-$y\"; exit 3'", "Enter");
        tmux("send-keys", "-t", "t", "abc", "Enter");
        tmux("wait-for", "got");
        tmux("send-keys", "-t", "t", "C-z");
        tmux("wait-for", "prompt");
        typeLines("jobs > jobs; stty -g > stopped");
        tmux("send-keys", "-t", "t", "fg", "Enter");
        tmux("wait-for", "-S", "go");
        tmux("wait-for", "reading");
        typeLines("def");
        typeLines("echo $? > rc2; stty -g > after2");

        assertThat(read("rc1")).as("CMD crashed: 128+SIGSEGV").isEqualTo("139");
        assertThat(read("jobs")).as("the shell's job table after Ctrl-Z").contains("Stopped");
        assertThat(screen()).contains("GOT-abc").contains("GOT2-def");
        assertThat(read("rc2")).as("CMD continued and exited 3").isEqualTo("3");
        String before = read("before");
        assertThat(read("after1")).as("restored after CMD crashed in raw mode").isEqualTo(before);
        assertThat(read("stopped")).as("the shell's terminal while the job is stopped").isEqualTo(before);
        assertThat(read("after2")).as("restored after stop, fg and exit").isEqualTo(before);
    }
}
