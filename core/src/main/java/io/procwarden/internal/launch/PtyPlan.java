package io.procwarden.internal.launch;

/**
 * A pseudo-terminal for the child: its window size and whether stderr is on it too.
 *
 * @param rows window rows (1..65535)
 * @param columns window columns (1..65535)
 * @param stderrToo fd 2 is the terminal as well; else the plan's stderr redirect applies
 */
public record PtyPlan(int rows, int columns, boolean stderrToo) {
    public PtyPlan {
        if (rows < 1 || rows > 0xFFFF || columns < 1 || columns > 0xFFFF) {
            throw new IllegalArgumentException("terminal size " + columns + "x" + rows + " is not within 1..65535");
        }
    }
}
