package io.procwarden.internal.jail.cgroup;

import io.procwarden.Signal;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A cgroup made for one jailed child, with its limits already written. Two mechanisms:
 * {@link CgroupV2} (the unified hierarchy) and {@link CgroupV1} (one directory per controller
 * hierarchy); {@link Cgroups} picks one.
 *
 * <p>Lifecycle: created (directory plus limits) before the child is spawned; {@link #attach} puts
 * the parked child in it before the target is exec'd, so every descendant is born inside;
 * {@link #destroy()} kills whatever is left and removes the directories. Thread-safe.
 */
public interface Cgroup {
    /** The mechanism and directory, for messages: {@code "cgroup v2 /sys/fs/cgroup/x/procwarden-12-3"}. */
    String describe();

    /** The directories (one for v2; one per hierarchy for v1). */
    List<Path> directories();

    /** The path the kernel shows in {@code /proc/PID/cgroup} for members, per directory. */
    List<String> hierarchyPaths();

    /** Moves {@code pid} (and so all its future descendants) into the cgroup. */
    void attach(int pid) throws IOException;

    /** The pids in the cgroup now (for tests and diagnostics). */
    List<Integer> pids() throws IOException;

    /**
     * Sends {@code signal} to every process in the cgroup. SIGKILL goes through v2's
     * {@code cgroup.kill} where there is one (atomically, forks in flight included); otherwise
     * each listed member is pinned with a pidfd and checked to be a member before it is
     * signalled, and with a freezer (v2 {@code cgroup.freeze}, v1 {@code freezer}) the cgroup is
     * frozen meanwhile, so none can fork.
     *
     * @return false if the cgroup had no member or is gone (destroyed)
     * @throws IOException naming the file that failed
     */
    boolean signalAll(int signal) throws IOException;

    /** SIGKILLs every process in the cgroup, as {@link #signalAll} does. */
    default void killAll() throws IOException {
        signalAll(Signal.KILL.number());
    }

    /**
     * Waits until no process is left in the cgroup, or the deadline passes: v2 by event
     * ({@code populated 0} in {@code cgroup.events}), v1 by the listed members' pidfds.
     *
     * @return true once it is empty (or gone), false if the deadline passed first
     * @throws IOException naming the file that failed
     */
    boolean awaitEmpty(long deadlineNanos) throws IOException;

    /**
     * Whether {@link #signalAll} reaches every member as one, so that no fork slips past it:
     * v2 {@code cgroup.kill} or {@code cgroup.freeze}, v1 with the freezer.
     */
    boolean atomicSignals();

    /** How many processes the OOM killer killed in the cgroup; -1 if this kernel does not say. */
    long oomKills();

    /**
     * Kills every process, waits until the cgroup is empty and removes its directories.
     * Idempotent; the directories are gone when it returns normally.
     *
     * @throws IOException naming the directory and the processes still in it
     */
    void destroy() throws IOException;
}
