package io.procwarden.cli;

/**
 * One JSON object on one line, written by hand (the command depends on nothing but core):
 * names and string values are escaped per RFC 8259, so any program name or message is safe.
 * Keys come out in the order they were added. Not thread-safe; one object per line.
 */
final class JsonLine {
    private final StringBuilder b = new StringBuilder("{");

    /** Adds a string member; {@code null} writes JSON null. */
    JsonLine put(String name, String value) {
        name(name).append(value == null ? "null" : quote(value));
        return this;
    }

    /** Adds a number member. */
    JsonLine put(String name, long value) {
        name(name).append(value);
        return this;
    }

    /** Adds a null member. */
    JsonLine putNull(String name) {
        name(name).append("null");
        return this;
    }

    /** Adds a boolean member. */
    JsonLine put(String name, boolean value) {
        name(name).append(value);
        return this;
    }

    @Override
    public String toString() {
        return b + "}";
    }

    private StringBuilder name(String name) {
        if (b.length() > 1) b.append(',');
        return b.append(quote(name)).append(':');
    }

    /** A JSON string literal: quotes, backslashes and control characters escaped. */
    static String quote(String s) {
        StringBuilder q = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !pairedSurrogate(s, i)) {
                        q.append(String.format("\\u%04x", (int) c)); // lone surrogates too: valid JSON, not UTF-8 garbage
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }

    private static boolean pairedSurrogate(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c)
                ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
