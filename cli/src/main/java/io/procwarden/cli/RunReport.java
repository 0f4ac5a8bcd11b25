package io.procwarden.cli;

import io.procwarden.ExitStatus;
import io.procwarden.ResourceUsage;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * How a {@code run} ended, as {@code --status} (one line for people) and {@code --json} (one
 * line for programs) print it on stderr.
 *
 * @param pid the child's pid
 * @param status how the child ended
 * @param wall from just before the spawn until the exit was known
 * @param usage CPU times and peak RSS from the kernel's rusage at reaping; empty if unknown
 * @param peakRssExact false when the peak RSS may be procwarden's own rather than the child's
 *     (Linux counts the parent's peak at the spawn: {@link SystemFacts#ownPeakRssBytes()}); it
 *     is then an upper bound
 * @param timeout the {@code --timeout} that expired, or null if it did not
 * @param exit the status procwarden exits with
 */
record RunReport(long pid, ExitStatus status, Duration wall, Optional<ResourceUsage> usage, boolean peakRssExact,
        Duration timeout, int exit) {

    /** For {@code --status}: {@code procwarden: pid 42 exited with code 3; wall 0.012s, cpu ...}. */
    String statusLine() {
        StringBuilder b = new StringBuilder("procwarden: pid ").append(pid).append(' ').append(status);
        if (timeout != null) {
            b.append(" (timed out after ").append(Durations.format(timeout)).append(')');
        }
        b.append("; wall ").append(seconds(wall));
        usage.ifPresentOrElse(u -> b.append(", cpu ").append(seconds(u.totalCpu()))
                        .append(" (user ").append(seconds(u.userCpu()))
                        .append(" + sys ").append(seconds(u.systemCpu()))
                        .append("), peak rss ").append(peakRssExact ? "" : "<= ").append(mebibytes(u.peakRssBytes())),
                () -> b.append(", cpu and peak rss unknown"));
        return b.toString();
    }

    /**
     * For {@code --json}: the same keys every time, null where one does not apply:
     * {@code {"pid":42,"status":"exited","code":3,"signal":null,"core_dumped":false,
     * "timed_out":false,"wall_ms":12,"cpu_ms":3,"user_cpu_ms":2,"sys_cpu_ms":1,
     * "peak_rss_bytes":4194304,"peak_rss_exact":true,"exit":3}}; {@code status} is
     * {@code exited}, {@code signaled} or {@code unknown} (then an extra {@code reason} says why).
     */
    String json() {
        JsonLine j = new JsonLine().put("pid", pid);
        switch (status) {
            case ExitStatus.Exited e -> j.put("status", "exited").put("code", e.code()).putNull("signal")
                    .put("core_dumped", false);
            case ExitStatus.Signaled s -> j.put("status", "signaled").putNull("code").put("signal", s.signal().name())
                    .put("core_dumped", s.coreDumped());
            case ExitStatus.Unknown u -> j.put("status", "unknown").putNull("code").putNull("signal")
                    .put("core_dumped", false).put("reason", u.reason().description());
        }
        j.put("timed_out", timeout != null).put("wall_ms", wall.toMillis());
        if (usage.isPresent()) {
            ResourceUsage u = usage.get();
            j.put("cpu_ms", u.totalCpu().toMillis()).put("user_cpu_ms", u.userCpu().toMillis())
                    .put("sys_cpu_ms", u.systemCpu().toMillis()).put("peak_rss_bytes", u.peakRssBytes())
                    .put("peak_rss_exact", peakRssExact);
        } else {
            j.putNull("cpu_ms").putNull("user_cpu_ms").putNull("sys_cpu_ms").putNull("peak_rss_bytes")
                    .put("peak_rss_exact", false);
        }
        return j.put("exit", exit).toString();
    }

    /** For {@code --json} when the command could not be started: {@code {"status":"not_started",...}}. */
    static String notStartedJson(String errno, String message, int exit) {
        return new JsonLine().put("status", "not_started").put("errno", errno).put("message", message)
                .put("exit", exit).toString();
    }

    /**
     * For {@code --json} when procwarden itself failed (bad option, unusable file, internal
     * error): {@code {"status":"error","errno":null,"message":...,"exit":125}}, the keys of
     * {@link #notStartedJson}, so that the last stderr line is JSON whatever happened.
     */
    static String errorJson(String message, int exit) {
        return new JsonLine().put("status", "error").putNull("errno").put("message", message)
                .put("exit", exit).toString();
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3fs", d.toNanos() / 1e9);
    }

    private static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
