package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * procwarden's own errors (status 125) as scripts see them: with {@code run --json} the last
 * stderr line is JSON for them too, whichever option failed and wherever {@code --json}
 * stands; a bad {@code -Dprocwarden.monitor.backend} is one line naming the value.
 */
class ProcwardenErrorsIT {
    @TempDir
    Path tmp;

    @Test
    void jsonGivesAJsonLineForProcwardensOwnErrors() throws IOException {
        String[][] cases = {
            {"Unknown option: '--bogus'", "run", "--json", "--bogus", "--", "true"},
            {"Unknown option: '--bogus'", "run", "--bogus", "--json", "--", "true"},
            {"Invalid value for option '--timeout'", "run", "--timeout", "5x", "--json", "--", "true"},
            {"--cwd " + tmp.resolve("nope") + ": no such directory", "run", "--json", "--cwd",
                tmp.resolve("nope").toString(), "--", "true"},
            {"Missing required parameter: 'CMD'", "run", "--json"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            Cli.Result r = Cli.run(args);

            assertThat(r.exit()).as(String.join(" ", args) + ": " + r).isEqualTo(125);
            assertThat(r.err()).as(r.toString()).hasSize(3);
            assertThat(r.err().get(0)).startsWith("procwarden: " + c[0]);
            assertThat(r.err().get(1)).isEqualTo("Try 'procwarden run --help'");
            JsonNode j = new ObjectMapper().readTree(r.lastErr());
            List<String> names = new ArrayList<>();
            j.fieldNames().forEachRemaining(names::add);
            assertThat(names).containsExactly("status", "errno", "message", "exit");
            assertThat(j.get("status").asText()).isEqualTo("error");
            assertThat(j.get("errno").isNull()).isTrue();
            assertThat(j.get("message").asText()).startsWith(c[0]);
            assertThat(j.get("exit").asInt()).isEqualTo(125);
        }
    }

    @Test
    void withoutJsonTheCommandsOwnJsonLooksAreNotTakenForOurs() {
        // "--json" after CMD is CMD's argument: no JSON from procwarden, and CMD runs.
        Cli.Result r = Cli.run("run", "echo", "--json");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).containsExactly("--json");
        assertThat(r.err()).isEmpty();
    }

    /**
     * One clear line naming the value and status 125, every time, for run and wait. The
     * library's side of this (no poisoned JVM) is helper MONITOR's fix in core; the CLI's
     * reaction holds with either.
     */
    @Test
    void aBadBackendPropertyIsOneLineNamingTheValue() {
        List<String> jvm = List.of("-Dprocwarden.monitor.backend=bogus-backend");
        for (String[] args : new String[][] {{"run", "--", "true"}, {"run", "--json", "--", "true"},
                {"wait", "--timeout", "1s", "1"}}) {
            Cli.Result r = Cli.run(Cli.command(jvm, args));

            assertThat(r.exit()).as(String.join(" ", args) + ": " + r).isEqualTo(125);
            assertThat(r.err().getFirst()).as(r.toString()).startsWith("procwarden: ").contains("bogus-backend")
                    .doesNotContain("internal error");
            assertThat(r.errText()).doesNotContain("\tat ", "ExceptionInInitializerError", "NoClassDefFoundError");
        }
    }
}
