package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code run --timeout} with GNU {@code timeout(1)}'s conventions: 0 disables it, fractions
 * and the d suffix, {@code -s/--signal}, {@code -k/--kill-after} (0: never SIGKILL),
 * {@code --preserve-status}, {@code --foreground}, and 137 when SIGKILL was needed. The
 * children say "ready" once their traps are set, and they outlive the timeouts by far unless
 * a signal ends them.
 */
class RunGnuTimeoutIT {
    /** Survives the first SIGTERM (its sleep dies of it; the trap says so), then sleeps again. */
    private static final String SURVIVES_TERM = "trap 'echo got TERM' TERM; echo ready; sleep 600; sleep 1; echo done";

    @Test
    void timeoutZeroDisablesTheTimeout() {
        Cli.Result r = Cli.run("run", "--timeout", "0", "--json", "--", "sh", "-c", "sleep 1; exit 4");

        assertThat(r.exit()).as(r.toString()).isEqualTo(4);
        assertThat(json(r).get("timed_out").asBoolean()).isFalse();
    }

    @Test
    void durationsTakeFractionsAndTheDaySuffix() {
        Cli.Result fraction = Cli.run("run", "--timeout", ".3", "--status", "--", "sleep", "600");
        assertThat(fraction.exit()).as(fraction.toString()).isEqualTo(124);
        assertThat(fraction.lastErr()).contains("killed by SIGTERM (timed out after 300ms)");

        Cli.Result days = Cli.run("run", "--timeout", "1.5d", "--", "sh", "-c", "exit 6");
        assertThat(days.exit()).as(days.toString()).isEqualTo(6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-s INT", "-sINT", "--signal=SIGINT", "--signal 2", "-s int"})
    void signalChoosesWhatTheTimeoutSends(String option) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--timeout", "300ms", "--json"));
        args.addAll(List.of(option.split(" ")));
        args.addAll(List.of("--", "sleep", "600"));
        Cli.Result r = Cli.run(args.toArray(String[]::new));

        assertThat(r.exit()).as(r.toString()).isEqualTo(124);
        assertThat(json(r).get("signal").asText()).isEqualTo("SIGINT");
    }

    @Test
    void signalKillExits137AtOnce() {
        Cli.Result r = Cli.run("run", "--timeout", "200ms", "-s", "KILL", "--grace", "1h", "--json", "--", "sleep", "600");

        assertThat(r.exit()).as("128+9, as GNU timeout after a KILL").isEqualTo(137);
        assertThat(json(r).get("signal").asText()).isEqualTo("SIGKILL");
        assertThat(json(r).get("timed_out").asBoolean()).isTrue();
    }

    @Test
    void killAfterZeroNeverSendsSigkill() {
        Cli.Result r = Cli.run("run", "--timeout", "300ms", "-k", "0", "--json", "--", "sh", "-c", SURVIVES_TERM);

        assertThat(r.exit()).as(r.toString()).isEqualTo(124);
        assertThat(r.out()).as(r.toString()).containsExactly("ready", "got TERM", "done");
        JsonNode j = json(r);
        assertThat(j.get("status").asText()).isEqualTo("exited");
        assertThat(j.get("code").asInt()).isZero();
    }

    @Test
    void killAfterSendsSigkillAfterTheSignal() {
        long start = System.nanoTime();
        Cli.Result r = Cli.run("run", "--timeout", "300ms", "--kill-after=200ms", "--json", "--", "sh", "-c",
                "trap '' TERM; echo ready; sleep 600");

        assertThat(r.exit()).as(r.toString()).isEqualTo(137);
        assertThat(json(r).get("signal").asText()).isEqualTo("SIGKILL");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
    }

    @Test
    void preserveStatusExitsWithTheCommandsStatus() {
        Cli.Result trapped = Cli.run("run", "--timeout", "300ms", "-s", "INT", "--preserve-status", "--", "sh", "-c",
                "trap 'exit 9' INT; echo ready; sleep 600");
        assertThat(trapped.exit()).as(trapped.toString()).isEqualTo(9);

        Cli.Result killed = Cli.run("run", "--timeout", "300ms", "--preserve-status", "--", "sleep", "600");
        assertThat(killed.exit()).as("128 + SIGTERM: " + killed).isEqualTo(143);
    }

    @Test
    @EnabledOnOs(OS.LINUX) // /proc/PID/stat
    void foregroundKeepsTheCommandInProcwardensGroup() {
        // Field 5 of /proc/PID/stat is the process group (comm has no spaces here: sh, java).
        Cli.Result r = Cli.run("run", "--foreground", "--", "sh", "-c", "cut -d' ' -f5 /proc/$$/stat /proc/$PPID/stat");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).hasSize(2);
        assertThat(r.out().get(0)).as("CMD's group is procwarden's: " + r).isEqualTo(r.out().get(1));
    }

    @Test
    void foregroundTimeoutKillsOnlyTheCommandNotItsChildren() {
        // The sleep's output goes elsewhere: holding the CLI's stdout, it would keep the pipe open.
        try (Cli.Running cli = Cli.start("run", "--foreground", "--timeout", "500ms", "--", "sh", "-c",
                "sleep 600 >/dev/null 2>&1 & echo $!; wait")) {
            long sleeper = Long.parseLong(cli.nextOutLine());
            Cli.Result r = cli.finish();
            try {
                assertThat(r.exit()).as(r.toString()).isEqualTo(124);
                assertThat(ProcessHandle.of(sleeper).map(ProcessHandle::isAlive))
                        .as("CMD's child %d outlives the timeout, as with GNU's --foreground", sleeper).contains(true);
            } finally {
                Cli.signal(sleeper, "KILL");
            }
        }
    }

    @Test
    void withoutForegroundTheTimeoutReachesTheWholeGroup() throws Exception {
        try (Cli.Running cli = Cli.start("run", "--timeout", "500ms", "--", "sh", "-c",
                "sleep 600 >/dev/null 2>&1 & echo $!; wait")) {
            long sleeper = Long.parseLong(cli.nextOutLine());
            var gone = io.procwarden.ProcessMonitor.shared().watch(sleeper);
            Cli.Result r = cli.finish();

            assertThat(r.exit()).as(r.toString()).isEqualTo(124);
            assertThat(gone.get(Cli.GENEROUS.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isNotNull();
        }
    }

    private static JsonNode json(Cli.Result r) {
        try {
            return new ObjectMapper().readTree(r.lastErr());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
    }
}
