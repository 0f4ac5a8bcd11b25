package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code procwarden wait} against real processes: {@code sleep}s started by this test JVM, so
 * they are not children of the CLI's JVM (the CLI learns that they ended, not how). The CLI's
 * {@code --verbose} line "watching ..." says its watches are in place: only then is a sleeper
 * killed, so no test depends on timing.
 */
class WaitCommandIT {
    /** ISO-8601 local time with milliseconds and offset, pid, status. */
    private static final String EXIT_LINE = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) ";
    private static final String NOT_OUR_CHILD = " status unknown: not our child";

    private final List<Process> sleepers = new ArrayList<>();

    @AfterEach
    void killSleepers() {
        sleepers.forEach(Process::destroyForcibly);
    }

    private Process sleeper() {
        Process p = Cli.sleeper();
        sleepers.add(p);
        return p;
    }

    @Test
    void printsTheExitAsItHappensAndExitsZero() {
        Process sleeper = sleeper();
        try (Cli.Running cli = Cli.start("wait", "--verbose", Long.toString(sleeper.pid()))) {
            cli.awaitErr("procwarden: watching " + sleeper.pid());
            OffsetDateTime killedAt = OffsetDateTime.now();
            Cli.kill(sleeper);
            Cli.Result r = cli.finish();

            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).as(r.toString()).singleElement().asString()
                    .matches(EXIT_LINE + sleeper.pid() + NOT_OUR_CHILD);
            OffsetDateTime printed = OffsetDateTime.parse(r.out().getFirst().substring(0, r.out().getFirst().indexOf(' ')));
            assertThat(Duration.between(killedAt, printed)).isBetween(Duration.ofSeconds(-1), Cli.GENEROUS);
        }
    }

    @Test
    void waitsForAllAndPrintsEachExitBeforeTheNextOne() {
        Process first = sleeper();
        Process second = sleeper();
        try (Cli.Running cli = Cli.start("wait", "-v", Long.toString(first.pid()), Long.toString(second.pid()))) {
            cli.awaitErr("procwarden: watching");
            Cli.kill(first);
            assertThat(cli.nextOutLine()).matches(EXIT_LINE + first.pid() + NOT_OUR_CHILD);
            assertThat(cli.isAlive()).as("still waiting for %d", second.pid()).isTrue();
            Cli.kill(second);
            Cli.Result r = cli.finish();

            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).as(r.toString()).hasSize(2);
            assertThat(r.out().get(1)).matches(EXIT_LINE + second.pid() + NOT_OUR_CHILD);
        }
    }

    @Test
    void anyStopsAtTheFirstExit() {
        Process killed = sleeper();
        Process survivor = sleeper();
        try (Cli.Running cli = Cli.start("wait", "--any", "-v", Long.toString(survivor.pid()), Long.toString(killed.pid()))) {
            cli.awaitErr("procwarden: watching");
            Cli.kill(killed);
            Cli.Result r = cli.finish();

            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).as(r.toString()).singleElement().asString()
                    .matches(EXIT_LINE + killed.pid() + NOT_OUR_CHILD);
            assertThat(survivor.isAlive()).isTrue();
        }
    }

    @Test
    void timeoutOnALiveProcessIs124() {
        Process sleeper = sleeper();
        long start = System.nanoTime();
        Cli.Result r = Cli.run("wait", "--timeout", "200ms", Long.toString(sleeper.pid()));

        assertThat(r.exit()).as(r.toString()).isEqualTo(124);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).as(r.toString())
                .containsExactly("procwarden: timed out after 200ms; still running: " + sleeper.pid());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(sleeper.isAlive()).isTrue();
    }

    @Test
    void aPidWithNoProcessIs2AndNamed() {
        long free = Cli.freePid();
        Cli.Result r = Cli.run("wait", Long.toString(free));

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).as(r.toString()).containsExactly("procwarden: no such process: " + free);
    }

    @Test
    void aMissingPidIsNamedAtOnceAndTheOthersAreStillWaitedFor() {
        Process sleeper = sleeper();
        long free = Cli.freePid();
        try (Cli.Running cli = Cli.start("wait", "-v", Long.toString(sleeper.pid()), Long.toString(free))) {
            cli.awaitErr("procwarden: no such process: " + free);
            cli.awaitErr("procwarden: watching " + sleeper.pid() + " with ");
            assertThat(cli.isAlive()).as("still waiting for %d", sleeper.pid()).isTrue();
            Cli.kill(sleeper);
            Cli.Result r = cli.finish();

            assertThat(r.exit()).as("2: a pid had no process (README)" + r).isEqualTo(2);
            assertThat(r.out()).as(r.toString()).singleElement().asString()
                    .matches(EXIT_LINE + sleeper.pid() + NOT_OUR_CHILD);
        }
    }

    @Test
    void aPidAbovePidMaxIsNoSuchProcess() {
        long above = Cli.pidMax() + 1;
        Cli.Result r = Cli.run("wait", Long.toString(above));

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).as(r.toString()).singleElement().asString()
                .startsWith("procwarden: no such process: " + above + " (");
    }

    @Test
    void pollingBackendAlsoReportsTheExit() {
        Process sleeper = sleeper();
        try (Cli.Running cli = Cli.start("wait", "-v", "--backend", "polling", Long.toString(sleeper.pid()))) {
            assertThat(cli.awaitErr("procwarden: watching")).endsWith(" with polling");
            Cli.kill(sleeper);
            Cli.Result r = cli.finish();

            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).as(r.toString()).singleElement().asString()
                    .matches(EXIT_LINE + sleeper.pid() + NOT_OUR_CHILD);
        }
    }
}
