package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.internal.ffi.Wait;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The last {@value #CAPACITY} children procwarden reaped in this JVM, with their statuses, so that
 * {@code watch(pid)} on one of them after the reap answers with its exact status instead of "no
 * such process" (the pid is free: nobody else can know any more).
 *
 * <p>A pid leaves the table as soon as it is seen in use again (a new watch or a new child finds
 * a live process with that number). One case is left: the pid was reused by a process we never
 * saw and that ended too; then the answer is our child's status. Linux hands out pids in
 * sequence, so that takes a full turn of the pid space (pid_max new processes) while fewer than
 * {@value #CAPACITY} of our children ended.
 */
final class ReapedChildren {
    private ReapedChildren() {}

    static final int CAPACITY = 1024;

    private static final Map<Integer, ExitStatus> LAST = new LinkedHashMap<>(CAPACITY * 2, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, ExitStatus> eldest) {
            return size() > CAPACITY;
        }
    };

    /** Records how a child we reaped ended; an unknown outcome is not worth remembering. */
    static void record(int pid, Wait.Reaped reaped) {
        if (reaped.status() instanceof ExitStatus.Unknown) return;
        synchronized (LAST) {
            LAST.remove(pid); // re-inserted last: eviction follows the order of the reaps
            LAST.put(pid, reaped.status());
        }
    }

    /** The pid is in use by a live process now: whatever we recorded for it is someone else's. */
    static void forget(int pid) {
        synchronized (LAST) {
            LAST.remove(pid);
        }
    }

    /** {@code outcome}, or, when it is "no such process" for a child we reaped lately, that child's status. */
    static Wait.Reaped orRemembered(int pid, Wait.Reaped outcome) {
        if (outcome.status() instanceof ExitStatus.Unknown u && u.reason() == ExitStatus.UnknownReason.NO_SUCH_PROCESS) {
            return find(pid).orElse(outcome);
        }
        return outcome;
    }

    /** How our child with this pid ended, if we reaped it recently. */
    static Optional<Wait.Reaped> find(int pid) {
        synchronized (LAST) {
            ExitStatus s = LAST.get(pid);
            return s == null ? Optional.empty() : Optional.of(new Wait.Reaped(s, null));
        }
    }
}
