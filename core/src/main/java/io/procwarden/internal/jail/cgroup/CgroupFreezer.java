package io.procwarden.internal.jail.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The v1 freezer, so that a cgroup's members can be signalled as one: while frozen none can
 * fork, so no child born between reading {@code cgroup.procs} and the last signal escapes.
 * Frozen tasks keep their signals pending (SIGKILL included, on v1) until thawed.
 *
 * <p>{@code freezer.state} reads {@code FREEZING} until every task has stopped; v1 gives no
 * notification of the change, so {@link #freeze} re-reads it, pausing from 10 us doubling up
 * to 1 ms, for at most {@value #FREEZE_TIMEOUT_MILLIS} ms; a task that will not freeze (in an
 * uninterruptible sleep) only costs that atomicity, never the signal.
 */
final class CgroupFreezer {
    private CgroupFreezer() {}

    static final long FREEZE_TIMEOUT_MILLIS = 1000;

    /**
     * Freezes the cgroup at {@code dir} and waits (bounded) until the kernel says it is frozen.
     *
     * @return true once frozen, false if the time ran out with tasks still freezing
     */
    static boolean freeze(Path dir) throws IOException {
        Path state = dir.resolve("freezer.state");
        CgroupFiles.write(state, "FROZEN");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FREEZE_TIMEOUT_MILLIS);
        long pause = 10_000;
        while (!CgroupFiles.read(state).trim().equals("FROZEN")) {
            if (System.nanoTime() > deadline) return false;
            // sleep-ok: v1 has no event for "frozen" (see above); bounded by the deadline.
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 1_000_000);
        }
        return true;
    }

    /** Thaws the cgroup at {@code dir}: its tasks run again and take their pending signals. */
    static void thaw(Path dir) throws IOException {
        CgroupFiles.write(dir.resolve("freezer.state"), "THAWED");
    }
}
