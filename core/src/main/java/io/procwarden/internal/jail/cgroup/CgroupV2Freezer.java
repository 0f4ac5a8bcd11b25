package io.procwarden.internal.jail.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The v2 freezer ({@code cgroup.freeze}, Linux 5.2), so that a cgroup's members can be signalled
 * as one where {@code cgroup.kill} cannot serve (a signal other than SIGKILL, or a kernel before
 * 5.14): while frozen none can fork, so no child born between reading {@code cgroup.procs} and
 * the last signal escapes. Unlike v1, v2 says when the freeze is complete: {@code frozen 1} in
 * {@code cgroup.events}, waited for by event ({@link CgroupEvents}). Signals sent meanwhile stay
 * pending until the thaw; SIGKILL kills a frozen task at once.
 */
final class CgroupV2Freezer {
    private CgroupV2Freezer() {}

    /** How long a freeze may take before the signals go out anyway (a task in an uninterruptible sleep). */
    static final long FREEZE_TIMEOUT_MILLIS = 1000;

    /** Whether the cgroup at {@code dir} has the v2 freezer. */
    static boolean available(Path dir) {
        return java.nio.file.Files.exists(dir.resolve("cgroup.freeze"));
    }

    /**
     * Freezes the cgroup at {@code dir} and waits (bounded) until the kernel says it is frozen.
     *
     * @return true once frozen, false if the time ran out with tasks still freezing
     */
    static boolean freeze(Path dir) throws IOException {
        CgroupFiles.write(dir.resolve("cgroup.freeze"), "1");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FREEZE_TIMEOUT_MILLIS);
        return CgroupEvents.await(dir, "frozen", 1, deadline);
    }

    /** Thaws the cgroup at {@code dir}: its tasks run again and take their pending signals. */
    static void thaw(Path dir) throws IOException {
        CgroupFiles.write(dir.resolve("cgroup.freeze"), "0");
    }
}
