package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code run --json} (parsed by a real JSON parser, strict: no trailing tokens, no duplicate
 * keys) and {@code run --status}, the reports on stderr once the command has ended.
 */
class RunReportIT {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final List<String> KEYS = List.of("pid", "status", "code", "signal", "core_dumped", "timed_out",
            "wall_ms", "cpu_ms", "user_cpu_ms", "sys_cpu_ms", "peak_rss_bytes", "peak_rss_exact", "exit");

    @Test
    void jsonForAnExitedCommand() throws JsonProcessingException {
        Cli.Result r = Cli.run("run", "--json", "--", "sh", "-c", "echo to stderr >&2; exit 3");

        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).as(r.toString()).hasSize(2).first().isEqualTo("to stderr");
        JsonNode j = parse(r.lastErr());
        assertThat(names(j)).isEqualTo(KEYS);
        assertThat(j.get("pid").isIntegralNumber()).isTrue();
        assertThat(j.get("pid").asLong()).isPositive();
        assertThat(j.get("status").asText()).isEqualTo("exited");
        assertThat(j.get("code").asInt()).isEqualTo(3);
        assertThat(j.get("signal").isNull()).isTrue();
        assertThat(j.get("core_dumped").asBoolean()).isFalse();
        assertThat(j.get("timed_out").asBoolean()).isFalse();
        assertThat(j.get("wall_ms").asLong()).isNotNegative();
        long userPlusSys = j.get("user_cpu_ms").asLong() + j.get("sys_cpu_ms").asLong();
        assertThat(j.get("cpu_ms").asLong()).isBetween(userPlusSys, userPlusSys + 1); // each rounded down
        assertThat(j.get("peak_rss_bytes").asLong()).isPositive();
        assertThat(j.get("peak_rss_exact").isBoolean()).isTrue();
        assertThat(j.get("exit").asInt()).isEqualTo(3);
    }

    @Test
    void jsonForASignaledCommand() throws JsonProcessingException {
        Cli.Result r = Cli.run("run", "--json", "--", "sh", "-c", "kill -KILL $$");

        assertThat(r.exit()).as(r.toString()).isEqualTo(137);
        JsonNode j = parse(r.lastErr());
        assertThat(names(j)).isEqualTo(KEYS);
        assertThat(j.get("status").asText()).isEqualTo("signaled");
        assertThat(j.get("code").isNull()).isTrue();
        assertThat(j.get("signal").asText()).isEqualTo("SIGKILL");
        assertThat(j.get("core_dumped").asBoolean()).isFalse();
        assertThat(j.get("exit").asInt()).isEqualTo(137);
    }

    @Test
    void jsonForACommandThatIsNotFoundEscapesItsName() throws JsonProcessingException {
        String name = "no \"such\" \\ command\twith\u0001controls";
        Cli.Result r = Cli.run("run", "--json", "--", name);

        assertThat(r.exit()).as(r.toString()).isEqualTo(127);
        JsonNode j = parse(r.lastErr());
        assertThat(names(j)).containsExactly("status", "errno", "message", "exit");
        assertThat(j.get("status").asText()).isEqualTo("not_started");
        assertThat(j.get("errno").asText()).isEqualTo("ENOENT");
        assertThat(j.get("message").asText()).startsWith("Cannot run program \"" + name + "\": ENOENT");
        assertThat(j.get("exit").asInt()).isEqualTo(127);
    }

    @Test
    void statusAndJsonTogether() throws JsonProcessingException {
        Cli.Result r = Cli.run("run", "--status", "--json", "--", "true");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).as(r.toString()).hasSize(2);
        assertThat(r.err().getFirst()).matches("procwarden: pid \\d+ exited with code 0; wall \\d+\\.\\d{3}s, "
                + "cpu \\d+\\.\\d{3}s \\(user \\d+\\.\\d{3}s \\+ sys \\d+\\.\\d{3}s\\), peak rss (<= )?\\d+\\.\\d MiB");
        JsonNode j = parse(r.lastErr());
        assertThat(r.err().getFirst()).startsWith("procwarden: pid " + j.get("pid").asLong() + " ")
                .contains(j.get("peak_rss_exact").asBoolean() ? "peak rss " : "peak rss <= ");
    }

    @Test
    void statusNamesTheSignal() {
        Cli.Result r = Cli.run("run", "--status", "--", "sh", "-c", "kill -TERM $$");

        assertThat(r.exit()).as(r.toString()).isEqualTo(143);
        assertThat(r.err()).as(r.toString()).singleElement().asString()
                .matches("procwarden: pid \\d+ killed by SIGTERM; wall .*");
    }

    private static JsonNode parse(String line) throws JsonProcessingException {
        JsonNode node = JSON.readTree(line);
        assertThat(node.isObject()).as(line).isTrue();
        return node;
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
