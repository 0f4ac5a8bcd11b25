package io.procwarden;

import io.procwarden.internal.ffi.Platform;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A POSIX signal: its number on this platform and its name.
 *
 * <p>Signal numbers differ between systems (SIGUSR1 is 10 on Linux and 30 on macOS), so code
 * should use the constants or {@link #byName(String)} rather than numbers. Value-based: compare
 * with {@code equals}.
 *
 * @param number the signal number on the running platform, 1..64
 * @param name the conventional name with the {@code SIG} prefix, e.g. {@code "SIGTERM"};
 *     real-time signals are named {@code SIGRTMIN+n}; unknown numbers {@code "SIG?"+n}
 */
public record Signal(int number, String name) {

    private static final Map<Integer, String> NAMES = table();

    public static final Signal HUP = byName("HUP").orElseThrow();
    public static final Signal INT = byName("INT").orElseThrow();
    public static final Signal QUIT = byName("QUIT").orElseThrow();
    public static final Signal ABRT = byName("ABRT").orElseThrow();
    public static final Signal KILL = byName("KILL").orElseThrow();
    public static final Signal SEGV = byName("SEGV").orElseThrow();
    public static final Signal PIPE = byName("PIPE").orElseThrow();
    public static final Signal TERM = byName("TERM").orElseThrow();
    public static final Signal USR1 = byName("USR1").orElseThrow();
    public static final Signal USR2 = byName("USR2").orElseThrow();
    public static final Signal CHLD = byName("CHLD").orElseThrow();
    public static final Signal CONT = byName("CONT").orElseThrow();
    public static final Signal STOP = byName("STOP").orElseThrow();
    public static final Signal XCPU = byName("XCPU").orElseThrow();
    public static final Signal XFSZ = byName("XFSZ").orElseThrow();

    /** Validates the number. */
    public Signal {
        if (number < 1 || number > 64) {
            throw new IllegalArgumentException("signal number out of range 1..64: " + number);
        }
    }

    /** The signal with this number on the running platform (named, or {@code SIG?n} if unknown). */
    public static Signal of(int number) {
        String name = NAMES.get(number);
        if (name == null && Platform.current().isLinux() && number >= 34 && number <= 64) {
            name = "SIGRTMIN+" + (number - 34);
        }
        return new Signal(number, name != null ? name : "SIG?" + number);
    }

    /** Looks a signal up by name, with or without {@code SIG}, any case ({@code "term"}, {@code "SIGKILL"}), or by number. */
    public static Optional<Signal> byName(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
            try {
                return Optional.of(of(Integer.parseInt(n)));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        String full = n.startsWith("SIG") ? n : "SIG" + n;
        return NAMES.entrySet().stream()
                .filter(e -> e.getValue().equals(full))
                .findFirst()
                .map(e -> new Signal(e.getKey(), e.getValue()));
    }

    /** The name without the {@code SIG} prefix, as {@code kill -l} prints it. */
    public String shortName() {
        return name.startsWith("SIG") ? name.substring(3) : name;
    }

    @Override
    public String toString() {
        return name + "(" + number + ")";
    }

    private static Map<Integer, String> table() {
        String[] names = Platform.current().isMacOs()
                ? new String[] {"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "EMT", "FPE", "KILL", "BUS", "SEGV",
                    "SYS", "PIPE", "ALRM", "TERM", "URG", "STOP", "TSTP", "CONT", "CHLD", "TTIN", "TTOU", "IO",
                    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "INFO", "USR1", "USR2"}
                : new String[] {"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
                    "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
                    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};
        Map<Integer, String> map = new TreeMap<>();
        for (int i = 0; i < names.length; i++) {
            map.put(i + 1, "SIG" + names[i]);
        }
        return Map.copyOf(map);
    }
}
