package io.procwarden.internal.tree;

import io.procwarden.Signal;
import io.procwarden.internal.jail.cgroup.Cgroup;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The cgroup rungs: a tree is a cgroup, which no process can leave without privileges. Signals
 * go through {@link Cgroup#signalAll} (v2 {@code cgroup.kill}, or freeze + signal + thaw);
 * emptiness is {@link Cgroup#awaitEmpty} (v2 {@code populated 0} by event, v1 the members'
 * pidfds). The cgroup may also carry the jail's limits.
 */
final class CgroupTree implements Tree {
    /** How long destroy waits for killed members to go. */
    static final long DESTROY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final TreeRung rung;
    private final Cgroup cgroup;
    private final List<java.nio.file.Path> alsoRemove; // the limits' own cgroup, for the guardian

    CgroupTree(TreeRung rung, Cgroup cgroup) {
        this(rung, cgroup, List.of());
    }

    CgroupTree(TreeRung rung, Cgroup cgroup, List<java.nio.file.Path> alsoRemove) {
        this.rung = rung;
        this.cgroup = cgroup;
        this.alsoRemove = List.copyOf(alsoRemove);
    }

    @Override
    public TreeRung rung() {
        return rung;
    }

    @Override
    public Optional<Cgroup> cgroup() {
        return Optional.of(cgroup);
    }

    @Override
    public void attach(int pid) throws IOException {
        if (Subreaper.isOn()) {
            // Its orphans come to us: reap them when they die, never the child itself.
            long start = io.procwarden.internal.sys.ProcStat.read(pid).map(io.procwarden.internal.sys.ProcStat::startTime)
                    .orElseThrow(() -> new IOException("pid " + pid + " vanished while being attached"));
            AdoptedZombies.register(this, cgroup.hierarchyPaths(), pid, start);
            TreeTracker.addOther(this);
        }
        cgroup.attach(pid);
    }

    /**
     * Tells the guardian of a v2 tree, so that it dies with the JVM: before the child is spawned
     * (not under the child's registration lock; an empty cgroup killed at our death is harmless).
     */
    void announce() {
        if (rung != TreeRung.CGROUP_V2) return;
        try {
            TreeGuardian.register(this, cgroup.directories().getFirst(), alsoRemove);
        } catch (IOException e) {
            // the tree still works; only its end with the JVM is not guaranteed
            System.getLogger(CgroupTree.class.getName()).log(System.Logger.Level.WARNING,
                    "the tree guardian is unavailable: " + e.getMessage());
        }
    }

    @Override
    public boolean signalAll(int signal) throws IOException {
        return cgroup.signalAll(signal);
    }

    @Override
    public boolean awaitEmpty(long deadlineNanos) throws IOException {
        return cgroup.awaitEmpty(deadlineNanos);
    }

    @Override
    public List<Integer> members() throws IOException {
        for (java.nio.file.Path dir : cgroup.directories()) {
            if (!java.nio.file.Files.isDirectory(dir)) return List.of(); // destroyed: nothing can be in it
        }
        return cgroup.pids();
    }

    @Override
    public void destroy() throws IOException {
        // Kill and wait by event first, so that the removal below finds the cgroup empty.
        try {
            cgroup.signalAll(Signal.KILL.number());
            cgroup.awaitEmpty(System.nanoTime() + DESTROY_TIMEOUT_NANOS);
        } catch (IOException e) {
            // destroy() below retries the kill and names what is left
        }
        try {
            cgroup.destroy();
        } finally {
            // still reaped for a while: members that are still dying
            AdoptedZombies.unregister(this, TimeUnit.MILLISECONDS.toNanos(TreeTracker.DRAIN_MILLIS));
            TreeTracker.removeOther(this);
            TreeGuardian.unregister(this);
        }
    }

    @Override
    public String describe() {
        return cgroup.describe();
    }

    @Override
    public String toString() {
        return "CgroupTree[" + rung.id() + ", " + cgroup.describe() + "]";
    }
}
