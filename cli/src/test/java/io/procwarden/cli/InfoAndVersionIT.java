package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.MonitorBackend;
import io.procwarden.ProcessSpec;
import org.junit.jupiter.api.Test;

/** {@code info}, {@code --version} and the help texts, run through the real jar. */
class InfoAndVersionIT {

    @Test
    void infoExitsZeroAndNamesTheBackendThisSystemGets() {
        Cli.Result r = Cli.run("info");

        assertThat(r.exit()).as(r.toString()).isZero();
        String best = MonitorBackend.best().id();
        assertThat(r.out()).as(r.toString())
                .anySatisfy(line -> assertThat(line).startsWith("backend:").contains(" " + best + " ("))
                .anySatisfy(line -> assertThat(line).matches("pid_max: +" + Cli.pidMax()
                        + (System.getProperty("os.name").startsWith("Mac") ? " \\(fixed on macOS\\)" : "")))
                .anySatisfy(line -> assertThat(line).startsWith("java:").contains(Runtime.version().toString()))
                .anySatisfy(line -> assertThat(line).startsWith("fd close: " + ProcessSpec.fdCloseMechanism().id() + " ("))
                .anySatisfy(line -> assertThat(line).startsWith("pidfd:    " + (MonitorBackend.PIDFD.isAvailable() ? "yes (" : "no (")));
        for (MonitorBackend b : MonitorBackend.values()) {
            assertThat(r.out()).as(r.toString()).anySatisfy(line -> assertThat(line)
                    .startsWith("  " + b.id() + " ")
                    .contains(b.isAvailable() ? "available: " : "unavailable: "));
        }
        assertThat(r.err()).as(r.toString()).isEmpty();
    }

    @Test
    void versionNamesTheBuildVersionAndTheBackend() {
        Cli.Result r = Cli.run("--version");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString())
                .startsWith("procwarden " + System.getProperty("procwarden.version"))
                .contains("monitor backend: " + MonitorBackend.best().id());
    }

    @Test
    void topLevelHelpGivesEachCommandsWholeSummary() {
        Cli.Result r = Cli.run("--help");

        assertThat(r.exit()).as(r.toString()).isZero();
        String text = String.join("\n", r.out());
        assertThat(text).contains("  run   Run CMD in its own process group with only fds 0, 1, 2 and a clean\n"
                + "          signal state, its whole tree contained; exit with its status");
        for (String command : new String[] {"run", "wait", "info", "help"}) {
            assertThat(r.out()).anySatisfy(line -> assertThat(line).startsWith("  " + command + " "));
        }
    }

    @Test
    void runHelpNamesTheGnuTimeoutOptionsAndTheDifferences() {
        Cli.Result r = Cli.run("run", "--help");

        assertThat(r.exit()).as(r.toString()).isZero();
        String text = String.join("\n", r.out());
        assertThat(text).contains("-k DUR", "--kill-after=DUR", "-s, --signal=SIG", "--preserve-status",
                "--foreground", "0: no timeout", "As GNU timeout(1), with these differences:", "137");
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (String[] args : new String[][] {{"--help"}, {"run", "--help"}, {"wait", "--help"}, {"info", "--help"},
                {"help", "wait"}, {"help", "run"}}) {
            Cli.Result r = Cli.run(args);

            assertThat(r.exit()).as(String.join(" ", args) + ": " + r).isZero();
            assertThat(r.out()).as(String.join(" ", args) + ": " + r)
                    .anySatisfy(line -> assertThat(line).startsWith("Usage: procwarden"))
                    .contains("Examples:");
        }
    }
}
