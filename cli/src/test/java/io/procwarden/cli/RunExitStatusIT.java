package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.Signal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code procwarden run}'s exit status: the command's own, 128+n for signal n, and
 * procwarden's 125 (its own error), 126 (cannot run the command), 127 (not found), each with
 * one line on stderr and never a stack trace unless {@code --debug}.
 */
class RunExitStatusIT {
    private static final String HINT = "Try 'procwarden run --help'";

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"0", "3", "255"})
    void exitsWithTheCommandsCode(int code) {
        Cli.Result r = Cli.run("run", "--", "sh", "-c", "exit " + code);

        assertThat(r.exit()).as(r.toString()).isEqualTo(code);
        assertThat(r.err()).as(r.toString()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"KILL", "TERM", "USR1"}) // USR1 is 10 on Linux, 30 on macOS
    void aCommandKilledBySignalNGives128PlusN(String signal) {
        Cli.Result r = Cli.run("run", "--", "sh", "-c", "kill -s " + signal + " $$");

        assertThat(r.exit()).as(r.toString()).isEqualTo(128 + Signal.byName(signal).orElseThrow().number());
        assertThat(r.err()).as(r.toString()).isEmpty();
    }

    @Test
    void theCommandsOptionsAreItsOwnWithoutDoubleDash() {
        Cli.Result r = Cli.run("run", "sh", "-c", "echo \"$0 $1\"", "--status", "--debug");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).containsExactly("--status --debug");
        assertThat(r.err()).as(r.toString()).isEmpty();
    }

    @Test
    void aCommandNotFoundIs127() {
        for (String cmd : new String[] {"procwarden-no-such-command", tmp.resolve("missing").toString()}) {
            Cli.Result r = Cli.run("run", "--", cmd, "arg");

            assertThat(r.exit()).as(r.toString()).isEqualTo(127);
            assertThat(r.out()).as(r.toString()).isEmpty();
            assertThat(r.err()).as(r.toString()).singleElement().asString()
                    .startsWith("procwarden: Cannot run program \"" + cmd + "\": ENOENT (No such file or directory)");
        }
    }

    @Test
    void aCommandThatCannotBeRunIs126() throws IOException {
        Path notExecutable = Files.writeString(tmp.resolve("plain.sh"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(notExecutable, PosixFilePermissions.fromString("rw-r--r--"));
        Path noFormat = Files.writeString(tmp.resolve("junk"), "\u0001\u0002 not a program\n");
        Files.setPosixFilePermissions(noFormat, PosixFilePermissions.fromString("rwxr-xr-x"));

        for (String[] c : new String[][] {
                {notExecutable.toString(), "EACCES", "is not executable"},
                {tmp.toString(), "EACCES", "is a directory"},
                {noFormat.toString(), "ENOEXEC", "not in an executable format"}}) {
            Cli.Result r = Cli.run("run", "--", c[0]);

            assertThat(r.exit()).as(r.toString()).isEqualTo(126);
            assertThat(r.err()).as(r.toString()).singleElement().asString()
                    .startsWith("procwarden: Cannot run program \"" + c[0] + "\": " + c[1])
                    .contains(c[2]);
        }
    }

    @Test
    void procwardensOwnErrorsAre125WithOneLineAndTheHint() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "");
        String[][] cases = {
            {"procwarden: Unknown option: '--bogus'", "run", "--bogus", "--", "true"},
            {"procwarden: Invalid value for option '--timeout': bad duration \"5x\": use 500ms, 1.5s, 2m, 1h or 1d"
                    + " (a plain number is seconds)", "run", "--timeout", "5x", "--", "true"},
            {"procwarden: Invalid value for option '--grace': bad duration \"-1s\"", "run", "--timeout", "1s",
                "--grace", "-1s", "--", "true"},
            {"procwarden: Missing required parameter: 'CMD'", "run"},
            {"procwarden: Missing required parameter: 'CMD'", "run", "--status", "--"},
            {"procwarden: empty command", "run", "--", ""},
            {"procwarden: --grace needs --timeout", "run", "--grace", "1s", "--", "true"},
            {"procwarden: -k needs --timeout", "run", "-k", "1s", "--", "true"},
            {"procwarden: Invalid value for option '--signal': no such signal \"BOGUS\"", "run", "--timeout", "1s",
                "--signal", "BOGUS", "--", "true"},
            {"procwarden: Missing required parameter for option '-s' (SIG)", "run", "-s"},
            {"procwarden: option '--status' takes no value", "run", "--status=yes", "--", "true"},
            {"procwarden: --foreground and --new-session exclude each other", "run", "--foreground", "--new-session",
                "--", "true"},
            {"procwarden: --env \"NOEQUALS\": use NAME=VALUE", "run", "--env", "NOEQUALS", "--", "true"},
            {"procwarden: --env \"=x\": use NAME=VALUE", "run", "--env", "=x", "--", "true"},
            {"procwarden: --cwd " + tmp.resolve("nope") + ": no such directory", "run", "--cwd",
                tmp.resolve("nope").toString(), "--", "true"},
            {"procwarden: --cwd " + file + ": not a directory", "run", "--cwd", file.toString(), "--", "true"},
            {"procwarden: --stdout " + tmp + ": cannot open for writing: is a directory", "run", "--stdout",
                tmp.toString(), "--", "true"},
            {"procwarden: --stderr " + tmp.resolve("no/such") + ": cannot open for writing: no such file or directory",
                "run", "--stderr", tmp.resolve("no/such").toString(), "--", "true"},
            {"procwarden: --preserve-fd 1: fds 0, 1 and 2 are always passed on", "run", "--preserve-fd", "1", "--",
                "true"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            Cli.Result r = Cli.run(args);

            assertThat(r.exit()).as(String.join(" ", args) + ": " + r).isEqualTo(125);
            assertThat(r.out()).as(r.toString()).isEmpty();
            assertThat(r.err()).as(String.join(" ", args) + ": " + r).hasSize(2).last().isEqualTo(HINT);
            assertThat(r.err().getFirst()).as(r.toString()).startsWith(c[0]);
            assertThat(r.errText()).doesNotContain("Exception", "\tat ");
        }
    }

    @Test
    void aPreservedFdThatIsNotOpenIs125() {
        Cli.Result r = Cli.run("run", "--preserve-fd", "987", "--", "true");

        assertThat(r.exit()).as(r.toString()).isEqualTo(125);
        assertThat(r.err()).as(r.toString()).singleElement().asString()
                .startsWith("procwarden: Cannot run program \"true\": EBADF")
                .contains("preserved fd 987");
    }

    @Test
    void debugShowsTheStackTraceOfASpawnFailure() {
        Cli.Result r = Cli.run("--debug", "run", "--", "procwarden-no-such-command");

        assertThat(r.exit()).as(r.toString()).isEqualTo(127);
        assertThat(r.errText()).contains("io.procwarden.SpawnException", "\tat io.procwarden.");
        assertThat(r.err()).last().asString().startsWith("procwarden: Cannot run program");
    }
}
