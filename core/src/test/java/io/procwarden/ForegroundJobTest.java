package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.testing.ForegroundJobMain;
import io.procwarden.testing.TestJvm;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ProcessSpec#foregroundJob()} against a real terminal: a child JVM leads a pty's session
 * (so the pty is its controlling terminal, and it is the foreground job) and starts jobs there,
 * on each backend. The job is the terminal's foreground group from its first instruction, reads
 * the terminal, gets the terminal's Ctrl-C (the JVM does not); after it ends, even by a crash in
 * raw mode, the JVM is the foreground job again with the terminal's settings as they were.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForegroundJobTest {
    private static final long LONG = 60;
    private static final TerminalSize SIZE = new TerminalSize(80, 24);

    @ParameterizedTest
    @ValueSource(strings = {"pidfd", "polling"})
    void theJobHasTheTerminalAndGivesItBackWithItsSettings(String backend) throws Exception {
        List<String> jvm = TestJvm.command(ForegroundJobMain.class, List.of("-Dprocwarden.monitor.backend=" + backend), "job");
        try (ChildProcess shell = ProcessSpec.of(jvm).pty(SIZE).spawn()) {
            InputStream screen = shell.stdout();
            String seen = PtyContract.readUntil(screen, "CHILD-END");
            String line = seen.substring(seen.indexOf("CHILD "));
            String[] words = line.split(" ");
            int pid = Integer.parseInt(words[1]);
            String[] stat = line.substring(line.lastIndexOf(')') + 2).split(" ");
            // after "(comm)": state ppid pgrp session tty_nr tpgid
            assertThat(Integer.parseInt(stat[2])).as("the job leads its own group").isEqualTo(pid);
            assertThat(Integer.parseInt(stat[3])).as("in the JVM's session (it leads the pty's)").isEqualTo(shell.pid());
            assertThat(Integer.parseInt(stat[5])).as("the terminal's foreground group is the job's").isEqualTo(pid);

            PtyContract.type(shell, "hello\n");
            PtyContract.readUntil(screen, "GOT hello"); // read from the terminal, not stopped by SIGTTIN
            String after1 = PtyContract.readUntil(screen, "END1");
            assertThat(after1).contains("STATUS1 killed by SIGSEGV")
                    .contains("AFTER1 foreground=true restored=true");

            PtyContract.readUntil(screen, "READY2");
            PtyContract.type(shell, "\u0003"); // Ctrl-C: to the foreground job only
            String after2 = PtyContract.readUntil(screen, "END2");
            assertThat(after2).contains("STATUS2 killed by SIGINT").contains("AFTER2 foreground=true");
            assertThat(shell.waitFor(java.time.Duration.ofSeconds(LONG))).hasValue(new ExitStatus.Exited(0));
        }
    }

    @Test
    void withoutAControllingTerminalTheSpawnFailsNamingDevTty() throws Exception {
        List<String> jvm = TestJvm.command(ForegroundJobMain.class, List.of(), "refuse");
        ProcessOutput out = ProcessSpec.of(jvm).newSession().collect().get(LONG, TimeUnit.SECONDS);
        assertThat(out.stdoutText()).contains("REFUSED ENXIO").contains("open(\"/dev/tty\")");
    }

    @Test
    void aJobInTheBackgroundMayNotTakeTheTerminal() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c",
                // the pty's session leader may not change its group: a child of it does
                "import os, sys\npid = os.fork()\nif pid == 0:\n    os.setpgid(0, 0)\n    os.execv(sys.argv[1], sys.argv[1:])\n"
                        + "sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))"));
        cmd.addAll(TestJvm.command(ForegroundJobMain.class, List.of(), "refuse"));
        try (ChildProcess c = ProcessSpec.of(cmd).pty(SIZE).spawn()) {
            String seen = PtyContract.readUntil(c.stdout(), "REFUSED-END");
            assertThat(seen).contains("REFUSED EPERM").contains("is not the foreground job of its terminal");
            assertThat(c.waitFor(java.time.Duration.ofSeconds(LONG))).hasValue(new ExitStatus.Exited(0));
        }
    }

    @Test
    void theSpecSaysWhatItStarts() {
        ProcessSpec job = ProcessSpec.of("vi").foregroundJob();
        assertThat(job.isForegroundJob()).isTrue();
        assertThat(job.isNewProcessGroup()).isTrue();
        assertThat(job.isNewSession()).isFalse();
        assertThat(job.newProcessGroup().isForegroundJob()).isTrue();
        assertThat(job.newSession().isForegroundJob()).as("a new session has no terminal: the later call wins").isFalse();
        assertThat(job.toString()).contains("foreground job");
        assertThatThrownBy(() -> ProcessSpec.of("sh").pty(SIZE).foregroundJob())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("pty");
    }
}
