package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** User errors: one line and a hint on stderr, status 125, never a stack trace (unless --debug). */
class UsageErrorsIT {

    @Test
    void badDurationIs125WithOneLineAndTheHint() {
        Cli.Result r = Cli.run("wait", "--timeout", "5x", "1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(125);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).as(r.toString()).containsExactly(
                "procwarden: Invalid value for option '--timeout': bad duration \"5x\": "
                        + "use 500ms, 1.5s, 2m, 1h or 1d (a plain number is seconds)",
                "Try 'procwarden wait --help'");
    }

    @Test
    void unknownOptionMissingPidAndBadPidAre125() {
        for (String[] args : new String[][] {{"wait", "--bogus", "1"}, {"wait"}, {"wait", "abc"}, {"wait", "0"},
                {"wait", "--backend", "nosuch", "1"}}) {
            Cli.Result r = Cli.run(args);

            assertThat(r.exit()).as(String.join(" ", args) + ": " + r).isEqualTo(125);
            assertThat(r.err()).as(String.join(" ", args) + ": " + r).hasSize(2)
                    .last().isEqualTo("Try 'procwarden wait --help'");
            assertThat(r.errText()).doesNotContain("Exception", "\tat ");
        }
    }

    @Test
    void unknownCommandNamesTheCommands() {
        Cli.Result r = Cli.run("frob");

        assertThat(r.exit()).as(r.toString()).isEqualTo(125);
        assertThat(r.err()).as(r.toString()).containsExactly(
                "procwarden: unknown command 'frob' (commands: run, wait, info, help)",
                "Try 'procwarden --help'");
    }

    @Test
    void debugShowsTheStackTrace() {
        Cli.Result r = Cli.run("--debug", "wait", "--timeout", "5x", "1");

        assertThat(r.exit()).as(r.toString()).isEqualTo(125);
        assertThat(r.errText()).contains("UsageException", "\tat io.procwarden.cli.");
        assertThat(r.err()).last().isEqualTo("Try 'procwarden wait --help'");
    }
}
