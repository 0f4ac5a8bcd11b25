package io.procwarden.internal.jail;

import io.procwarden.JailSpec;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The cgroup part of a {@link JailSpec}: null fields are not limited.
 *
 * @param memoryMax bytes, or null
 * @param cpuQuotaMicros CPU time per period, or null
 * @param cpuPeriodMicros the period for the quota
 * @param pidsMax tasks, or null
 */
record CgroupLimits(Long memoryMax, Long cpuQuotaMicros, long cpuPeriodMicros, Long pidsMax) {

    static CgroupLimits of(JailSpec spec) {
        return new CgroupLimits(
                spec.memoryMax().isPresent() ? spec.memoryMax().getAsLong() : null,
                spec.cpuQuotaMicros().isPresent() ? spec.cpuQuotaMicros().getAsLong() : null,
                spec.cpuPeriodMicros(),
                spec.pidsMax().isPresent() ? spec.pidsMax().getAsLong() : null);
    }

    /** The controllers these limits need, by their kernel names. */
    Set<String> controllers() {
        Set<String> c = new LinkedHashSet<>();
        if (memoryMax != null) c.add("memory");
        if (cpuQuotaMicros != null) c.add("cpu");
        if (pidsMax != null) c.add("pids");
        return c;
    }
}
