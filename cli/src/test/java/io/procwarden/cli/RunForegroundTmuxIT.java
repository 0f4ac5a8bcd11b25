package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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

    private Tmux tmux;

    @BeforeEach
    void server() {
        Tmux.requireInstalled();
        tmux = new Tmux("procwarden-fg-it", dir);
    }

    @AfterEach
    void killServer() throws Exception {
        if (tmux != null) tmux.close();
    }

    /** Types lines at the pane (each one with Enter) and waits for the next prompt. */
    private void typeLines(String... lines) throws IOException, InterruptedException {
        for (String line : lines) tmux.keys(line, "Enter");
        tmux.await("prompt");
    }

    private String read(String name) throws IOException {
        return Files.readString(dir.resolve(name)).strip();
    }

    @Test
    void cmdIsTheForegroundJobStopsAndContinuesWithProcwardenAndTheTerminalComesBack() throws Exception {
        String pw = Tmux.procwarden("run", "--");
        Files.writeString(dir.resolve("rc"), String.join("\n",
                "cd " + Tmux.quote(dir.toString()),
                "export PS1='P> ' PROMPT_COMMAND='tmux wait-for -S prompt'",
                ""));
        tmux.start(100, 30, "bash --noprofile --rcfile " + Tmux.quote(dir.resolve("rc").toString()) + " -i");
        tmux.await("prompt");
        typeLines("stty -g > before");

        // An interactive bash as CMD: its own group, the terminal's foreground one, in our session.
        typeLines(pw + " bash --norc --noprofile -i");
        typeLines("read -r l < /proc/$$/stat; echo \"STAT $$ $PPID $l END\"");
        Matcher m = Pattern.compile("STAT (\\d+) (\\d+) \\d+ \\(bash\\) \\S+ \\d+ (\\d+) (\\d+) \\d+ (\\d+) ")
                .matcher(tmux.screen());
        assertThat(m.find()).as("the stat line on the screen:\n" + tmux.screen()).isTrue();
        String pid = m.group(1);
        assertThat(m.group(3)).as("CMD leads its own process group").isEqualTo(pid);
        assertThat(m.group(5)).as("which is the terminal's foreground group").isEqualTo(pid);
        assertThat(m.group(2)).as("procwarden (CMD's parent) is not in CMD's group").isNotEqualTo(pid);
        typeLines("read n; echo \"HI-$n\"", "world");
        assertThat(tmux.screen()).as("CMD read the terminal").contains("HI-world");
        tmux.keys("sh -c 'trap \"echo CAUGHT-INT; exit 0\" INT; tmux wait-for -S reading; read x'",
                "Enter");
        tmux.await("reading");
        tmux.keys("C-c");
        tmux.await("prompt");
        assertThat(tmux.screen()).as("the terminal's Ctrl-C reached CMD's job").contains("CAUGHT-INT");
        typeLines("stty raw -echo; kill -SEGV $$"); // CMD crashes in raw mode: the outer prompt next
        typeLines("echo $? > rc1; stty -g > after1");

        // Ctrl-Z stops CMD and procwarden; fg continues both, and CMD reads the terminal again (if it
        // did not have it, it would stop at the read with SIGTTIN). "def" is typed only once CMD reads:
        // typed earlier, the outer bash's readline could gather it as its own typeahead.
        // One tmux client signals "got" and then waits for "go": Ctrl-Z finds CMD's shell waiting for
        // it, not in the middle of a vfork (whose parent cannot stop until the child has exec'd).
        tmux.keys(pw + " sh -c 'read x; echo \"GOT-$x\"; tmux wait-for -S got \\; wait-for go;"
                + " tmux wait-for -S reading; read y; echo \"GOT2-$y\"; exit 3'", "Enter");
        tmux.keys("abc", "Enter");
        tmux.await("got");
        tmux.keys("C-z");
        tmux.await("prompt");
        typeLines("jobs > jobs; stty -g > stopped");
        tmux.keys("fg", "Enter");
        tmux.run("wait-for", "-S", "go");
        tmux.await("reading");
        typeLines("def");
        typeLines("echo $? > rc2; stty -g > after2");

        assertThat(read("rc1")).as("CMD crashed: 128+SIGSEGV").isEqualTo("139");
        assertThat(read("jobs")).as("the shell's job table after Ctrl-Z").contains("Stopped");
        assertThat(tmux.screen()).contains("GOT-abc").contains("GOT2-def");
        assertThat(read("rc2")).as("CMD continued and exited 3").isEqualTo("3");
        String before = read("before");
        assertThat(read("after1")).as("restored after CMD crashed in raw mode").isEqualTo(before);
        assertThat(read("stopped")).as("the shell's terminal while the job is stopped").isEqualTo(before);
        assertThat(read("after2")).as("restored after stop, fg and exit").isEqualTo(before);
    }
}
