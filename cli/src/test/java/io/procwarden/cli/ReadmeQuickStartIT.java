package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Runs every {@code ./procwarden} line of the README's "Quick start" block exactly as written
 * (through {@code sh -c} at the repository root, so through the launcher), with {@code PID}
 * replaced by a live {@code sleep} this test controls, and checks what each one does. A line
 * added to or changed in the README without a matching entry here fails the test: the two are
 * kept in step.
 */
class ReadmeQuickStartIT {
    private static final String PID = "PID";

    /** What each command (the line without its comment) must do. */
    private static final Map<String, BiConsumer<String, Cli.Result>> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("./procwarden run -- sh -c 'exit 3'", (line, r) -> {
            assertThat(r.exit()).as(line + ": " + r).isEqualTo(3);
            assertThat(r.err()).as(line + ": " + r).isEmpty();
        });
        EXPECTED.put("./procwarden run --status --timeout 1s -- sleep 60", (line, r) -> {
            assertThat(r.exit()).as(line + ": " + r).isEqualTo(124);
            assertThat(r.lastErr()).as(line + ": " + r).contains("killed by SIGTERM (timed out after 1s)");
        });
        EXPECTED.put("./procwarden run --json --env-clear --env GREETING=hi -- sh -c 'echo \"$GREETING\"'", (line, r) -> {
            assertThat(r.exit()).as(line + ": " + r).isZero();
            assertThat(r.out()).as(line + ": " + r).containsExactly("hi");
            JsonNode json = json(r.lastErr());
            assertThat(json.get("status").asText()).as(r.lastErr()).isEqualTo("exited");
            assertThat(json.get("code").asInt()).as(r.lastErr()).isZero();
        });
        EXPECTED.put("./procwarden wait -v PID", (line, r) -> {
            assertThat(r.exit()).as(line + ": " + r).isZero();
            assertThat(r.out()).as(line + ": " + r).singleElement().asString()
                    .endsWith(io.procwarden.ProcessMonitor.nonChildStatusUnavailabilityCause().isEmpty()
                            ? " killed by SIGTERM" : " status unknown: not our child"); // Cli.kill: SIGTERM
        });
        EXPECTED.put("./procwarden info", (line, r) -> {
            assertThat(r.exit()).as(line + ": " + r).isZero();
            assertThat(r.out()).as(line + ": " + r).anySatisfy(l -> assertThat(l).startsWith("backend:"))
                    .anySatisfy(l -> assertThat(l).startsWith("fd close:"))
                    .anySatisfy(l -> assertThat(l).startsWith("pidfd:"));
        });
    }

    @Test
    void everyQuickStartCommandRunsAsDocumented() throws IOException {
        List<String> lines = quickStartCommands();
        assertThat(lines.stream().map(ReadmeQuickStartIT::withoutComment).toList())
                .as("the README's quick-start commands and this test's expectations")
                .containsExactlyElementsOf(EXPECTED.keySet());

        for (String line : lines) {
            BiConsumer<String, Cli.Result> check = EXPECTED.get(withoutComment(line));
            if (line.contains(PID)) {
                Process sleeper = Cli.sleeper();
                try (Cli.Running cli = Cli.start(List.of("sh", "-c", line.replace(PID, Long.toString(sleeper.pid()))),
                        Map.of(), Cli.root())) {
                    cli.awaitErr("procwarden: watching " + sleeper.pid());
                    Cli.kill(sleeper);
                    check.accept(line, cli.finish());
                } finally {
                    sleeper.destroyForcibly();
                }
            } else {
                try (Cli.Running cli = Cli.start(List.of("sh", "-c", line), Map.of(), Cli.root())) {
                    check.accept(line, cli.finish());
                }
            }
        }
    }

    /** The lines of the first {@code sh} block after "## Quick start" that start with {@code ./procwarden}. */
    private static List<String> quickStartCommands() throws IOException {
        List<String> readme = Files.readAllLines(Cli.root().resolve("README.md"));
        int heading = readme.indexOf("## Quick start");
        assertThat(heading).as("README.md has a \"## Quick start\" heading").isNotNegative();
        int open = readme.subList(heading, readme.size()).indexOf("```sh") + heading;
        assertThat(open).as("a ```sh block under Quick start").isGreaterThan(heading);
        List<String> commands = new ArrayList<>();
        for (String line : readme.subList(open + 1, readme.size())) {
            if (line.startsWith("```")) {
                return commands;
            }
            if (line.startsWith("./procwarden")) {
                commands.add(line);
            }
        }
        throw new AssertionError("the Quick start ```sh block is not closed");
    }

    /** The command without a trailing shell comment (the quick-start lines put no '#' in words). */
    private static String withoutComment(String line) {
        int hash = line.indexOf(" #");
        return (hash < 0 ? line : line.substring(0, hash)).strip();
    }

    private static JsonNode json(String line) {
        try {
            return new ObjectMapper().readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
