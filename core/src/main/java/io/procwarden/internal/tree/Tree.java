package io.procwarden.internal.tree;

import io.procwarden.internal.jail.cgroup.Cgroup;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * What holds one child's whole process tree: every process it starts, and theirs, however they
 * detach (double fork, {@code setsid}). One implementation per rung of the ladder
 * ({@link TreeRung}): {@link CgroupTree} over a v2 leaf or a v1 cgroup with the freezer, and
 * {@link SubreaperTree}. {@link TreeLadder} picks and builds one.
 *
 * <p>Lifecycle: built before the child is spawned; {@link #attach} takes the parked child before
 * its target runs (so every descendant is born inside); {@link #destroy()} kills what is left,
 * waits until nothing is, and releases the tree. Thread-safe.
 */
public interface Tree {
    /** The mechanism. */
    TreeRung rung();

    /** The cgroup that holds the tree, for the cgroup rungs. */
    Optional<Cgroup> cgroup();

    /** Takes {@code pid} (our parked, unreaped child) and all its future descendants. */
    void attach(int pid) throws IOException;

    /**
     * Sends {@code signal} to every member at once: no member forks past it.
     *
     * @return false if no member was left to signal
     * @throws IOException naming the file or pid that failed
     */
    boolean signalAll(int signal) throws IOException;

    /**
     * Waits until no member is left, or the deadline ({@link System#nanoTime()}) passes; by event
     * (a cgroup's {@code populated 0}, or the members' pidfds), never by sleeping.
     *
     * @return true once empty, false if the deadline passed first
     */
    boolean awaitEmpty(long deadlineNanos) throws IOException;

    /** The pids of the members alive now (for tests and diagnostics). */
    List<Integer> members() throws IOException;

    /**
     * Kills every member, waits until none is left and releases the tree (removes the cgroup,
     * reaps the members this JVM adopted). Idempotent.
     *
     * @throws IOException naming what is left
     */
    void destroy() throws IOException;

    /** The mechanism and where it lives, for messages. */
    String describe();
}
