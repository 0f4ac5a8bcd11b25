package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.procwarden.ProcessMonitor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code procwarden wait} prints the exact status of a process that is not its child: a shell's
 * child (a grandchild of this test JVM), reaped by that shell, where the kernel keeps the status of
 * reaped processes (PIDFD_INFO_EXIT, Linux 6.15). The process blocks opening a FIFO until the CLI
 * says its watch is in place; then the test writes to the FIFO.
 */
@EnabledOnOs(OS.LINUX)
class WaitStatusIT {
    private static final String EXIT_LINE = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) ";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "exit 3                              | exited with code 3             | auto",
        "ulimit -c 0; kill -SEGV $$          | killed by SIGSEGV              | auto",
        "ulimit -c unlimited; kill -SEGV $$  | killed by SIGSEGV (core dumped) | auto",
        "kill -TERM $$                       | killed by SIGTERM              | polling",
    })
    void printsTheExactStatusOfANonChild(String body, String status, String backend, @TempDir Path dir) throws Exception {
        assumeThat(ProcessMonitor.nonChildStatusUnavailabilityCause()).as("PIDFD_INFO_EXIT here").isEmpty();
        if (status.contains("core dumped")) {
            String pattern = Files.readString(Path.of("/proc/sys/kernel/core_pattern")).trim();
            assumeThat(pattern).as("core_pattern writes a file").doesNotStartWith("|");
        }
        Path fifo = dir.resolve("release");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        // The shell's child waits on the FIFO, then runs the body; the shell reaps it.
        String inner = "read x < \"$0\"; " + body;
        Process shell = new ProcessBuilder("/bin/sh", "-c",
                "sh -c '" + inner + "' \"$0\" >/dev/null 2>&1 & echo $!; exec >&- 2>&-; wait", fifo.toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.US_ASCII));
            long pid = Long.parseLong(r.readLine().trim());
            try (Cli.Running cli = Cli.start("wait", "-v", "--backend", backend, Long.toString(pid))) {
                cli.awaitErr("procwarden: watching " + pid);
                Files.writeString(fifo, "go\n", StandardCharsets.US_ASCII);
                Cli.Result result = cli.finish();

                assertThat(result.exit()).as(result.toString()).isZero();
                assertThat(result.out()).as(result.toString()).singleElement().asString()
                        .matches(EXIT_LINE + pid + " " + java.util.regex.Pattern.quote(status));
            }
            assertThat(shell.waitFor(60, TimeUnit.SECONDS)).as("the shell reaped it and ended").isTrue();
        } finally {
            shell.destroyForcibly();
            closeQuietly(shell);
        }
    }

    private static void closeQuietly(Process p) throws IOException {
        p.getInputStream().close();
        p.getOutputStream().close();
    }
}
