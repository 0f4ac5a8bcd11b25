package io.procwarden.internal.monitor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The processes that are not ours, seen dead (zombies), whose status the kernel gives only once
 * their parent has reaped them ({@code PIDFD_INFO_EXIT}): each waits for that at most
 * {@link #boundNanos}, after which it ends as {@code Unknown(NOT_REAPED)}. A parent that is
 * stopped, hung, or simply never waits must not hold a watch forever.
 *
 * <p>Loop thread only. Every wait has the same bound, so the deadlines come in the order they
 * were set: an insertion-ordered map, not a heap.
 */
final class ReapWait {
    /** The system property that sets the bound in milliseconds (0..60000): {@value}. */
    static final String PROPERTY = "procwarden.monitor.reapWaitMillis";
    /** Default bound: a parent that reaps at all does so within microseconds to milliseconds. */
    static final long DEFAULT_MILLIS = 1_000;

    private final long boundNanos;
    private final Map<Registration, Long> deadlines = new LinkedHashMap<>();

    ReapWait(long boundMillis) {
        if (boundMillis < 0 || boundMillis > 60_000) {
            throw new IllegalArgumentException(PROPERTY + " must be 0..60000 ms: " + boundMillis);
        }
        this.boundNanos = TimeUnit.MILLISECONDS.toNanos(boundMillis);
    }

    /** A wait with the bound of {@value #PROPERTY}, else the default. */
    static ReapWait withConfiguredBound() {
        return new ReapWait(Long.getLong(PROPERTY, DEFAULT_MILLIS));
    }

    /** True when a process seen dead is not waited for at all (bound 0). */
    boolean disabled() {
        return boundNanos == 0;
    }

    /** Starts the wait for a registration seen dead now; nothing if it waits already. */
    void start(Registration r, long nowNanos) {
        deadlines.putIfAbsent(r, nowNanos + boundNanos);
    }

    boolean isWaiting(Registration r) {
        return deadlines.containsKey(r);
    }

    /** True if the registration waits and its deadline has passed. */
    boolean expired(Registration r, long nowNanos) {
        Long d = deadlines.get(r);
        return d != null && nowNanos - d >= 0;
    }

    /** Stops waiting for a registration (its status arrived, or it was released). */
    void forget(Registration r) {
        deadlines.remove(r);
    }

    /** Milliseconds until the next deadline, rounded up; -1 when nothing waits. */
    int millisToNext(long nowNanos) {
        if (deadlines.isEmpty()) return -1;
        long left = deadlines.values().iterator().next() - nowNanos;
        if (left <= 0) return 0;
        return (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
    }

    /** The registrations whose deadline has passed, oldest first; they keep waiting until forgotten. */
    List<Registration> due(long nowNanos) {
        List<Registration> due = new ArrayList<>();
        for (Map.Entry<Registration, Long> e : deadlines.entrySet()) {
            if (nowNanos - e.getValue() < 0) break;
            due.add(e.getKey());
        }
        return due;
    }

    void clear() {
        deadlines.clear();
    }
}
