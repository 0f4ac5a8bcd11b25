package io.procwarden.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as the command line writes them: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h};
 * a plain number is seconds (as for {@code timeout(1)} and {@code sleep(1)}). Decimals are
 * allowed ({@code 1.5s}, {@code 0.25}); negative values and other units are not.
 *
 * <p>Stateless and thread-safe.
 */
public final class Durations {
    private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");
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
                    + "\": use 500ms, 5s, 2m or 1h (a plain number is seconds)");
        }
        long unitNanos = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
        };
        BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos))
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

    /** The picocli converter for options of type {@link Duration}: a bad value is a usage error (exit 125). */
    public static final class Converter implements ITypeConverter<Duration> {
        /** Creates the converter (picocli instantiates it). */
        public Converter() {}

        @Override
        public Duration convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
