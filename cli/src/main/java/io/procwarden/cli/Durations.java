package io.procwarden.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as the command line writes them, GNU {@code timeout(1)}'s forms plus
 * milliseconds: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d}; a plain number
 * is seconds. Fractions are allowed as GNU's are ({@code 1.5s}, {@code .1}, {@code 2.}):
 * GNU's exponent and hexadecimal forms ({@code 1e3}, {@code 0x10}) and negative values are not.
 *
 * <p>Stateless and thread-safe.
 */
public final class Durations {
    private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ms|s|m|h|d)?");
    private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);

    private Durations() {}

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException with one line that names the text and shows the valid forms
     */
    public static Duration parse(String text) {
        Matcher m = FORMAT.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("bad duration \"" + text
                    + "\": use 500ms, 1.5s, 2m, 1h or 1d (a plain number is seconds)");
        }
        long unitNanos = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 86_400_000_000_000L;
        };
        String number = m.group(1);
        BigDecimal nanos = new BigDecimal(number.endsWith(".") ? number + "0" : number)
                .multiply(BigDecimal.valueOf(unitNanos))
                .setScale(0, RoundingMode.CEILING);
        if (nanos.compareTo(MAX_NANOS) > 0) {
            throw new IllegalArgumentException("duration \"" + text + "\" is too long (at most about 292 years)");
        }
        return Duration.ofNanos(nanos.longValueExact());
    }

    /** The shortest of the parseable forms that is exact: {@code 200ms}, {@code 5s}, {@code 2m}, {@code 1.5s}. */
    public static String format(Duration d) {
        long nanos = d.toNanos();
        if (nanos % 3_600_000_000_000L == 0 && nanos != 0) return nanos / 3_600_000_000_000L + "h";
        if (nanos % 60_000_000_000L == 0 && nanos != 0) return nanos / 60_000_000_000L + "m";
        if (nanos % 1_000_000_000L == 0) return nanos / 1_000_000_000L + "s";
        if (nanos % 1_000_000L == 0 && nanos < 1_000_000_000L) return nanos / 1_000_000L + "ms";
        return BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString() + "s";
    }
}
