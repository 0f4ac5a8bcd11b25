package io.procwarden.cli;

import io.procwarden.ExitStatus;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Prints {@code wait}'s lines, {@code TIME PID STATUS}, on the monitor thread that learnt of
 * the exit, the moment it did: no hop to another thread first (each wake-up of a sleeping
 * thread is tens of microseconds to milliseconds on a loaded machine). The main thread only
 * waits until enough lines are out, or the deadline; after that nothing more is printed, so
 * {@code --any} prints one line and a timeout's message is the last word.
 *
 * <p>A stdout that nobody reads blocks the monitor thread in the write, which only delays
 * the next lines: this command's monitor watches nothing else. Thread-safe.
 */
final class ExitPrinter {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

    /** How the wait ended: enough exits, the deadline, or a watch that failed (pid and error). */
    record Outcome(boolean timedOut, long pid, Throwable error) {}

    private final PrintStream out;
    private final int needed;
    private int printed;      // guarded by this
    private Outcome outcome;  // guarded by this; set once: nothing is printed after it

    ExitPrinter(PrintStream out, int needed) {
        this.out = out;
        this.needed = needed;
    }

    /** Called by the monitor thread when a watch completes. */
    synchronized void exited(long pid, ExitStatus status, Throwable error) {
        Instant at = Instant.now();
        if (outcome != null) {
            return;
        }
        if (error != null) {
            outcome = new Outcome(false, pid, error);
        } else {
            out.println(line(at, pid, status));
            out.flush();
            if (++printed == needed) {
                outcome = new Outcome(false, 0, null);
            }
        }
        if (outcome != null) {
            notifyAll();
        }
    }

    /** Waits until enough lines are out, a watch failed, or {@code deadline} (System.nanoTime; -1: none) passed. */
    synchronized Outcome await(long deadline) throws InterruptedException {
        while (outcome == null) {
            if (deadline == -1) {
                wait();
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    outcome = new Outcome(true, 0, null);
                    break;
                }
                wait(left / 1_000_000, (int) (left % 1_000_000));
            }
        }
        return outcome;
    }

    /**
     * Runs the code of a line once before any watch is armed, so that the first real exit is
     * not reported through cold code: the time zone rules behind the timestamp are read from
     * the JDK's tzdb.dat on first use, and the formatter's code runs for the first time
     * (docs/startup.md has the figures).
     */
    void warmUp() {
        if (line(Instant.now(), 1, new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD)).isEmpty()) {
            throw new AssertionError("unreachable: an empty line");
        }
    }

    private static String line(Instant at, long pid, ExitStatus status) {
        return TIME.format(at) + " " + pid + " " + status;
    }
}
