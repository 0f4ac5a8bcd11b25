package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Signals around {@code procwarden run}: {@code --timeout} (SIGTERM to the group, SIGKILL after
 * the grace, status 124) and the forwarding of SIGTERM, SIGINT and SIGHUP that procwarden
 * receives to the child's process group. The children print "ready" once their traps are set;
 * the test signals only after reading it.
 */
class RunSignalsIT {
    /** A shell that ignores SIGTERM (and so does its sleep, which inherits that) and says so. */
    private static final String IGNORES_TERM = "trap '' TERM; echo ready; sleep 600";

    @Test
    void timeoutEscalatesToSigkillForACommandThatIgnoresSigtermAndExits137AsGnuTimeout() {
        long start = System.nanoTime();
        // 3 s: the trap is set within milliseconds of the spawn; the JSON's SIGKILL proves it was.
        Cli.Result r = Cli.run("run", "--timeout", "3s", "--grace", "500ms", "--json", "--", "sh", "-c", IGNORES_TERM);

        assertThat(r.exit()).as("128+9: the KILL was needed").isEqualTo(137);
        assertThat(r.out()).as(r.toString()).containsExactly("ready");
        assertThat(r.lastErr()).as(r.toString())
                .contains("\"status\":\"signaled\"", "\"signal\":\"SIGKILL\"", "\"timed_out\":true", "\"exit\":137");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(3500));
    }

    @Test
    void timeoutStopsACommandThatObeysSigtermWithoutWaitingForTheGrace() {
        long start = System.nanoTime();
        Cli.Result r = Cli.run("run", "--timeout", "300ms", "--grace", "1h", "--status", "--", "sleep", "600");

        assertThat(r.exit()).as(r.toString()).isEqualTo(124);
        assertThat(r.lastErr()).as(r.toString())
                .matches("procwarden: pid \\d+ killed by SIGTERM \\(timed out after 300ms\\); wall .*");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Cli.GENEROUS);
    }

    @Test
    void aCommandThatEndsBeforeTheTimeoutKeepsItsStatus() {
        Cli.Result r = Cli.run("run", "--timeout", "1h", "--", "sh", "-c", "exit 5");

        assertThat(r.exit()).as(r.toString()).isEqualTo(5);
    }

    @Test
    void sigtermToProcwardenReachesTheWholeGroupAndItsStatusIsTheChilds() throws Exception {
        // The shell traps TERM and exits 7; its background sleep does not trap it and dies of it,
        // which only a signal to the group can do.
        try (Cli.Running cli = Cli.start("run", "--", "sh", "-c",
                "trap 'echo got TERM; exit 7' TERM; sleep 600 & echo \"sleeper $!\"; echo ready; wait")) {
            long sleeper = Long.parseLong(cli.nextOutLine().substring("sleeper ".length()));
            var sleeperExit = ProcessMonitor.shared().watch(sleeper); // not our child: learns that it ended, not how
            cli.awaitOut("ready");
            Cli.signal(cli.pid(), "TERM"); // to the JVM, as Process.destroy() would

            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(7);
            assertThat(r.out()).as(r.toString()).containsExactly("sleeper " + sleeper, "ready", "got TERM");
            assertThat(sleeperExit.get(Cli.GENEROUS.toSeconds(), TimeUnit.SECONDS))
                    .as("the grandchild in the group got SIGTERM").isInstanceOf(ExitStatus.Unknown.class);
        }
    }

    @ParameterizedTest
    @CsvSource({"INT, 8", "HUP, 9"})
    void sigintAndSighupAreForwardedToo(String signal, int code) {
        // The trap kills the sleep: a background job of sh ignores SIGINT, and would hold stdout
        // open (SIGHUP kills it on its own: hence 2>/dev/null).
        try (Cli.Running cli = Cli.start("run", "--", "sh", "-c", "trap 'echo got " + signal + "; kill $! 2>/dev/null;"
                + " exit " + code + "' " + signal + "; sleep 600 & echo ready; wait")) {
            cli.awaitOut("ready");
            Cli.signal(cli.pid(), signal);

            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(code);
            assertThat(r.out()).as(r.toString()).containsExactly("ready", "got " + signal);
        }
    }

    @Test
    void aStoppedChildIsWokenToTakeTheForwardedSignal() {
        try (Cli.Running cli = Cli.start("run", "--", "sh", "-c", "echo $$; exec sleep 600")) {
            String group = cli.nextOutLine(); // sh's pid, the group's id; sh then becomes the sleep
            Cli.Result stop = Cli.run(List.of("kill", "-s", "STOP", "--", "-" + group));
            assertThat(stop.exit()).as(stop.toString()).isZero();
            Cli.signal(cli.pid(), "TERM");

            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(143);
        }
    }

    @Test
    void aForwardedSignalThatKillsTheChildGives128PlusN() {
        try (Cli.Running cli = Cli.start("run", "--", "sh", "-c", "echo ready; sleep 600")) {
            cli.awaitOut("ready");
            Cli.signal(cli.pid(), "TERM");

            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isEqualTo(143);
        }
    }
}
