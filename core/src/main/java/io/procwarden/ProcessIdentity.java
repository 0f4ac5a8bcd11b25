package io.procwarden;

import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.sys.ProcStat;
import java.util.Optional;

/**
 * A process instance, as opposed to a pid number: the pid plus the kernel's start time
 * ({@code /proc/PID/stat} field 22, clock ticks since boot). A pid is reused after its process
 * is reaped; the pair is not.
 *
 * <p>Write it to a pid file when starting a long-lived process, and after a restart pass it to
 * {@link ProcessMonitor#watch(ProcessIdentity)}: if the pid now belongs to a stranger, the watch
 * reports {@link ExitStatus.UnknownReason#NO_SUCH_PROCESS} instead of watching the stranger.
 * Linux only (start times come from /proc).
 *
 * @param pid the process id
 * @param startTime the start time in clock ticks since boot
 */
public record ProcessIdentity(long pid, long startTime) {
    /** Validates the fields. */
    public ProcessIdentity {
        if (pid <= 0) throw new IllegalArgumentException("pid must be positive: " + pid);
        if (startTime < 0) throw new IllegalArgumentException("start time must not be negative: " + startTime);
    }

    /**
     * The identity of the process that has {@code pid} now; empty if there is none.
     *
     * @throws UnsupportedOperationException on systems without /proc (macOS)
     */
    public static Optional<ProcessIdentity> of(long pid) {
        if (!Platform.current().isLinux()) {
            throw new UnsupportedOperationException("process start times need Linux /proc");
        }
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("not a valid pid: " + pid);
        }
        return ProcStat.read((int) pid).map(s -> new ProcessIdentity(pid, s.startTime()));
    }

    /** The pid-file form: {@code "PID STARTTIME"}. */
    public String toPidFileLine() {
        return pid + " " + startTime;
    }

    /**
     * Parses the pid-file form written by {@link #toPidFileLine()}.
     *
     * @throws IllegalArgumentException naming the text if it is not two non-negative numbers
     */
    public static ProcessIdentity parse(String line) {
        String[] parts = line.trim().split("\\s+");
        try {
            if (parts.length == 2) {
                return new ProcessIdentity(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("not a pid file line (\"PID STARTTIME\"): \"" + line + "\"");
    }
}
