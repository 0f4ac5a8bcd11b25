package io.procwarden.internal.jail;

import io.procwarden.internal.tree.TreeRung;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What holds a launched child beyond its own pid: for a jailed child with a cgroup, that cgroup.
 * The public handle signals through it so that {@code kill()} and {@code terminate()} reach every
 * process the child left behind, not only the one we spawned.
 *
 * <p>Thread-safe. After the child has ended (and its container has been torn down), the signal
 * methods return false and the report methods give what was recorded at teardown.
 */
public interface Containment {
    /**
     * Sends {@code signal} to every process in the container, the child included. SIGKILL uses the
     * atomic mechanism where there is one (cgroup v2 {@code cgroup.kill}).
     *
     * @return false if the container is already empty or torn down
     * @throws IOException naming the file or pid that failed
     */
    boolean signalAll(int signal) throws IOException;

    /**
     * How many processes the OOM killer killed in the container; empty without memory accounting
     * or before the child has ended.
     */
    OptionalLong oomKills();

    /** Why the teardown after the child's end failed (directories left behind); empty if it did not. */
    Optional<IOException> teardownFailure();

    /** The mechanism and where it lives, for messages: {@code "cgroup v2 /sys/fs/cgroup/unified/procwarden-12-3"}. */
    String describe();

    /**
     * True when {@link #signalAll} reaches the child's whole process tree: a tree held by
     * {@code internal/tree}, or a jail's cgroup.
     */
    default boolean holdsTree() {
        return false;
    }

    /** The rung of the ladder holding the tree, for a child spawned with tree containment. */
    default Optional<TreeRung> treeRung() {
        return Optional.empty();
    }

    /**
     * Members that outlive the child may run until {@code deadlineNanos} ({@link System#nanoTime()})
     * before the teardown kills them: the grace of a terminate that is under way.
     */
    default void graceUntil(long deadlineNanos) {}
}
