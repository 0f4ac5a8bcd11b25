package io.procwarden;

/**
 * The window size of a pseudo-terminal, in character cells, as {@code stty size} reports it
 * (rows first there).
 *
 * @param columns the width, 1..65535
 * @param rows the height, 1..65535
 */
public record TerminalSize(int columns, int rows) {
    /** 80 columns by 24 rows, the classic terminal. */
    public static final TerminalSize DEFAULT = new TerminalSize(80, 24);

    /** @throws IllegalArgumentException if either value is outside 1..65535 */
    public TerminalSize {
        if (columns < 1 || columns > 0xFFFF || rows < 1 || rows > 0xFFFF) {
            throw new IllegalArgumentException("terminal size " + columns + "x" + rows + " is not within 1..65535");
        }
    }

    @Override
    public String toString() {
        return columns + "x" + rows;
    }
}
