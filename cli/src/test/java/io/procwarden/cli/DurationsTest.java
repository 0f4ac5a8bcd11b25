package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "500ms, PT0.5S",
        "5s, PT5S",
        "2m, PT2M",
        "1h, PT1H",
        "7, PT7S",
        "0, PT0S",
        "1.5s, PT1.5S",
        "0.25, PT0.25S",
        "1.5ms, PT0.0015S",
        "5S, PT5S",
        ".5, PT0.5S",
        ".1s, PT0.1S",
        "2., PT2S",
        "1d, PT24H",
        "1.5d, PT36H",
        "2.5m, PT2M30S",
    })
    void parsesTheDocumentedForms(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5x", "-5s", "s", "5 s", ".", ".s", "1d2", "PT5S", "5sec", "1e3", "0x10", "inf"})
    void rejectsAnythingElseNamingTheText(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"" + text + "\"")
                .hasMessageContaining("500ms, 1.5s, 2m, 1h or 1d")
                .hasMessageNotContaining("\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"9999999999h", "99999999999999999999", "999999d"})
    void rejectsDurationsBeyondLongNanos(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too long");
    }

    @ParameterizedTest
    @CsvSource({"200ms", "5s", "2m", "1h", "1.5s", "0s", "90s", "0.0015s"})
    void formatGivesBackAParseableShortestForm(String text) {
        assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
    }
}
