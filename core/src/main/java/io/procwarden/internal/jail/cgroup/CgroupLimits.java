package io.procwarden.internal.jail.cgroup;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The cgroup part of a jail plan: null fields are not limited (a cgroup without limits only
 * tracks its members).
 *
 * @param memoryMax bytes, or null
 * @param cpuQuotaMicros CPU time per period, or null
 * @param cpuPeriodMicros the period for the quota
 * @param pidsMax tasks, or null
 */
public record CgroupLimits(Long memoryMax, Long cpuQuotaMicros, long cpuPeriodMicros, Long pidsMax) {
    /** The CPU period when none is given: 100 ms. */
    public static final long DEFAULT_CPU_PERIOD_MICROS = 100_000;

    /** A cgroup that only tracks its members. */
    public static final CgroupLimits NONE = new CgroupLimits(null, null, DEFAULT_CPU_PERIOD_MICROS, null);

    /** The controllers these limits need, by their kernel names. */
    public Set<String> controllers() {
        Set<String> c = new LinkedHashSet<>();
        if (memoryMax != null) c.add("memory");
        if (cpuQuotaMicros != null) c.add("cpu");
        if (pidsMax != null) c.add("pids");
        return c;
    }
}
