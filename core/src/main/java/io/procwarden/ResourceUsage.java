package io.procwarden;

import java.time.Duration;
import java.util.Objects;

/**
 * Resources a child used over its whole life, as the kernel reported when it was reaped
 * ({@code waitid}/{@code wait4} rusage), so it is exact and cannot belong to another process.
 *
 * <p>On Linux the peak RSS is at least the parent's peak at the spawn: exec records the peak of
 * the memory image it replaces, which for a vfork-style spawn is the parent's (a JVM's tens of
 * MiB). Below that, a child's own peak cannot be told from it.
 *
 * @param userCpu CPU time spent in user mode
 * @param systemCpu CPU time spent in the kernel on its behalf
 * @param peakRssBytes peak resident set size in bytes (Linux reports KiB; converted)
 */
public record ResourceUsage(Duration userCpu, Duration systemCpu, long peakRssBytes) {
    /** Validates the fields. */
    public ResourceUsage {
        Objects.requireNonNull(userCpu, "userCpu");
        Objects.requireNonNull(systemCpu, "systemCpu");
    }

    /** User plus system CPU time. */
    public Duration totalCpu() {
        return userCpu.plus(systemCpu);
    }
}
