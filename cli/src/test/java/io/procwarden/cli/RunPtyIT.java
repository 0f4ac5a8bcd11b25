package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code run --pty} with stdin and stdout not terminals (a pipe in, a pipe out), as in CI: CMD
 * still gets a terminal, the input reaches it through the terminal (echoed, as a terminal
 * does), the end of the input is the terminal's EOF, and CMD's status is procwarden's.
 */
class RunPtyIT {
    private static String sh(String input, String... cmd) {
        return sh(input, List.of(), cmd);
    }

    private static String sh(String input, List<String> options, String... cmd) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--pty"));
        args.addAll(options);
        args.add("--");
        String pw = Cli.command(args.toArray(String[]::new)).stream().map(RunPtyIT::quote).collect(Collectors.joining(" "));
        String c = List.of(cmd).stream().map(RunPtyIT::quote).collect(Collectors.joining(" "));
        return "printf " + quote(input) + " | " + pw + " " + c;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void aPipedStdinStillGivesCmdATerminalAndItsEndIsTheTerminalsEof() {
        Cli.Result r = Cli.run(List.of("sh", "-c", sh("hello\n", "sh", "-c",
                "test -t 0 && test -t 1 && test -t 2 && echo ALL-TTY; stty size; read a; echo \"[$a]\";"
                        + " if read b; then echo MORE; else echo EOF; fi; exit 3")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        List<String> out = r.out().stream().map(l -> l.replace("\r", "")).toList();
        assertThat(out).as(r.toString()).contains("ALL-TTY", "24 80", "[hello]", "EOF").doesNotContain("MORE");
    }

    @Test
    void stderrGivenAsAFileStaysOffTheTerminal() throws Exception {
        java.nio.file.Path err = java.nio.file.Files.createTempFile("pty-stderr", ".txt");
        try {
            Cli.Result r = Cli.run(List.of("sh", "-c", sh("", List.of("--stderr", err.toString()), "sh", "-c",
                    "echo out; echo err >&2; test -t 2 || echo NOTTY2")));
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out().stream().map(l -> l.replace("\r", "")).toList()).contains("out", "NOTTY2");
            assertThat(java.nio.file.Files.readString(err)).isEqualTo("err\n");
        } finally {
            java.nio.file.Files.deleteIfExists(err);
        }
    }

    @Test
    void ptyExcludesStdoutAndForeground() {
        assertThat(Cli.run("run", "--pty", "--stdout", "/dev/null", "--", "true").exit()).isEqualTo(125);
        assertThat(Cli.run("run", "--pty", "--foreground", "--", "true").exit()).isEqualTo(125);
    }
}
