package io.procwarden.internal.jail;

import io.procwarden.ExitStatus;
import io.procwarden.ProcessIdentity;
import io.procwarden.ResourceUsage;
import io.procwarden.Signal;
import io.procwarden.SyscallException;
import io.procwarden.internal.jail.cgroup.Cgroup;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.Registration;
import io.procwarden.internal.tree.Tree;
import io.procwarden.internal.tree.TreeRung;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * A child started by {@link JailLauncher}: registered with a monitor loop (which reaps it), and
 * owner of its cgroup and pid file. When the child ends, what it left in its cgroup is killed,
 * the cgroup removed and the pid file deleted; only then is the exit reported (to the listener
 * given at spawn and to {@link #onExit()}), so that "exited" means "nothing of it runs".
 *
 * <p>It is the child's {@link Containment}: with a cgroup, {@link #signalAll} reaches every
 * process in it; without one, the containment is the child itself (signalAll signals just the
 * child, and there is no OOM count), so callers need no second path.
 *
 * <p>With tree containment ({@link JailPlan#containTree()}) a {@link Tree} holds the child's
 * whole process tree: signals go to every member through it, and the teardown kills what is
 * left (after the grace of a terminate under way) and waits until the tree is empty.
 *
 * <p>Thread-safe. Signals go through the registration, so a reaped (and perhaps reused) pid is
 * never signalled.
 */
public final class JailedChild implements Containment {
    private static final int SIGKILL = Signal.KILL.number();

    private static final System.Logger LOG = System.getLogger(JailedChild.class.getName());

    /**
     * How a jailed child ended.
     *
     * @param status the exit status of the child we spawned (the stub that became the target; with
     *     bwrap, bwrap, which exits with the target's code, or 128+N for a target killed by signal N)
     * @param usage its resource usage (reaped by us), or null
     * @param oomKills processes the OOM killer killed in its cgroup; -1 without a memory cgroup
     * @param teardownFailure why the cgroup or pid file could not be cleaned up, or null
     */
    public record Outcome(ExitStatus status, ResourceUsage usage, long oomKills, IOException teardownFailure) {}

    private final int pid;
    private final Cgroup cgroup; // the limits' cgroup, or the tree's; null for none
    private final Tree tree; // null without tree containment
    private final boolean separateLimits; // cgroup is not the tree's own: attached and removed apart
    private volatile long graceDeadline; // System.nanoTime() until which leftovers may run; 0: none
    private final Path pidFile;
    private final String chain;
    private final ExitListener downstream;
    private final CompletableFuture<Outcome> exit = new CompletableFuture<>();
    private volatile Registration registration;
    private volatile String pidFileLine;
    private volatile boolean tornDown; // set before the exit is reported
    private volatile long recordedOomKills = -1;
    private volatile IOException recordedTeardownFailure;

    JailedChild(int pid, Cgroup cgroup, Path pidFile, String chain, ExitListener downstream) {
        this(pid, cgroup, null, false, pidFile, chain, downstream);
    }

    JailedChild(int pid, Cgroup limits, Tree tree, boolean separateLimits, Path pidFile, String chain,
            ExitListener downstream) {
        this.pid = pid;
        this.cgroup = limits != null ? limits : tree != null ? tree.cgroup().orElse(null) : null;
        this.tree = tree;
        this.separateLimits = separateLimits;
        this.pidFile = pidFile;
        this.chain = chain;
        this.downstream = downstream;
    }

    /** The pid of the child we spawned (the stub, which execs the chain and the target in place). */
    public int pid() {
        return pid;
    }

    /** The monitor registration (reaps the child; {@link Registration#whileUnreaped} for safe signalling). */
    public Registration registration() {
        return registration;
    }

    /** The child's cgroup, if the spec asked for one. */
    public Optional<Cgroup> cgroup() {
        return Optional.ofNullable(cgroup);
    }

    /** The tree holding the child's whole process tree, with tree containment. */
    public Optional<Tree> tree() {
        return Optional.ofNullable(tree);
    }

    /** The exec chain, e.g. {@code "sh stub -> /usr/bin/setpriv -> /bin/cat"}. */
    public String chain() {
        return chain;
    }

    /** The identity written to the pid file, if there is one. */
    public Optional<ProcessIdentity> pidFileIdentity() {
        return Optional.ofNullable(pidFileLine).map(ProcessIdentity::parse);
    }

    /** Completes once the child has been reaped and its cgroup and pid file cleaned up. */
    public CompletableFuture<Outcome> onExit() {
        return exit;
    }

    /**
     * Sends {@code signal} to the child through its registration (the pidfd, or the pid while
     * unreaped), so a recycled pid is never hit.
     *
     * @return false if it had already ended
     */
    public boolean signal(Signal signal) throws SyscallException {
        return registration.signal(signal.number());
    }

    /**
     * Sends {@code signal} to every process in the child's cgroup (SIGKILL: {@code cgroup.kill}
     * where there is one), or to the child alone without a cgroup. A SIGKILL also goes to the
     * child itself through its registration, in case it moved itself out of its cgroup.
     *
     * @return false once the child has ended and its cgroup is torn down, or nothing was signalled
     */
    @Override
    public boolean signalAll(int signal) throws IOException {
        if (tornDown) return false;
        if (cgroup == null && tree == null) return registration.signal(signal);
        IOException failure = null;
        boolean any = false;
        try {
            any = tree != null ? tree.signalAll(signal) : cgroup.signalAll(signal);
        } catch (IOException e) {
            failure = e;
        }
        if (signal == SIGKILL) any |= registration.signal(signal);
        if (failure != null) throw failure;
        return any;
    }

    /**
     * Kills the child and everything in its cgroup now (SIGKILL); the cleanup then follows its
     * exit as usual. Without a cgroup only the child itself is killed.
     */
    public void destroy() throws IOException {
        signalAll(SIGKILL);
    }

    /** Processes the OOM killer killed in its cgroup, once the child has ended; empty without a memory cgroup. */
    @Override
    public OptionalLong oomKills() {
        long n = recordedOomKills;
        return tornDown && n >= 0 ? OptionalLong.of(n) : OptionalLong.empty();
    }

    @Override
    public Optional<IOException> teardownFailure() {
        return Optional.ofNullable(recordedTeardownFailure);
    }

    @Override
    public String describe() {
        if (tree != null) return tree.describe();
        return cgroup != null ? cgroup.describe() : "pid " + pid + " (no cgroup)";
    }

    @Override
    public boolean holdsTree() {
        return tree != null || cgroup != null;
    }

    @Override
    public Optional<TreeRung> treeRung() {
        return tree == null ? Optional.empty() : Optional.of(tree.rung());
    }

    @Override
    public void graceUntil(long deadlineNanos) {
        graceDeadline = deadlineNanos == 0 ? 1 : deadlineNanos;
    }

    void registered(Registration r) {
        this.registration = r;
    }

    void pidFileWritten(String line) {
        this.pidFileLine = line;
    }

    /** The listener given to the monitor loop; runs on the loop thread, so cleanup moves off it. */
    ExitListener listener() {
        return new ExitListener() {
            @Override
            public void onExit(ExitStatus status, ResourceUsage usage) {
                if (cgroup == null && tree == null && pidFile == null) {
                    tornDown = true;
                    finish(status, usage, -1, null);
                } else {
                    Thread.ofVirtual().name("procwarden-jail-teardown-" + pid).start(() -> teardown(status, usage));
                }
            }

            @Override
            public void onFailure(Throwable error) {
                Thread.ofVirtual().name("procwarden-jail-teardown-" + pid).start(() -> {
                    teardown(null, null);
                    exit.completeExceptionally(error);
                    if (downstream != null) downstream.onFailure(error);
                });
            }
        };
    }

    private void teardown(ExitStatus status, ResourceUsage usage) {
        IOException failure = null;
        long oom = -1;
        if (tree != null) {
            failure = tearDownTree();
            oom = recordedOomKills;
        } else if (cgroup != null) {
            oom = cgroup.oomKills();
            try {
                cgroup.destroy();
            } catch (IOException e) {
                failure = e;
            }
        }
        try {
            deletePidFile();
        } catch (IOException e) {
            if (failure == null) failure = e;
            else failure.addSuppressed(e);
        }
        if (failure != null) {
            LOG.log(System.Logger.Level.WARNING, "cleanup after jailed child " + pid + " failed", failure);
        }
        recordedOomKills = oom;
        recordedTeardownFailure = failure;
        tornDown = true;
        if (status != null) finish(status, usage, oom, failure);
    }

    /**
     * The members left when the child ended may finish a terminate's grace (by event: the tree
     * empties, or the deadline passes); then what is left is killed, the tree released, and the
     * limits' own cgroup removed. Leaves the OOM count in {@link #recordedOomKills}.
     */
    private IOException tearDownTree() {
        IOException failure = null;
        long grace = graceDeadline;
        try {
            if (grace != 0 && grace - System.nanoTime() > 0) tree.awaitEmpty(grace);
        } catch (IOException e) {
            failure = e;
        }
        // The tree's own cgroup is removed by destroy(): count first. Limits apart: after, when nothing runs.
        if (!separateLimits) recordedOomKills = cgroup != null ? cgroup.oomKills() : -1;
        try {
            tree.destroy();
        } catch (IOException e) {
            failure = add(failure, e);
        }
        if (separateLimits) {
            recordedOomKills = cgroup.oomKills();
            try {
                cgroup.destroy();
            } catch (IOException e) {
                failure = add(failure, e);
            }
        }
        return failure;
    }

    private static IOException add(IOException first, IOException next) {
        if (first == null) return next;
        first.addSuppressed(next);
        return first;
    }

    private void finish(ExitStatus status, ResourceUsage usage, long oom, IOException failure) {
        exit.complete(new Outcome(status, usage, oom, failure));
        if (downstream != null) downstream.onExit(status, usage);
    }

    private void deletePidFile() throws IOException {
        String line = pidFileLine;
        if (pidFile != null && line != null) PidFile.deleteIfOurs(pidFile, line);
    }

    @Override
    public String toString() {
        return "JailedChild[pid " + pid + ", " + chain + (tree != null ? ", " + tree.describe() : "")
                + (cgroup != null ? ", " + cgroup.describe() : "") + "]";
    }
}
