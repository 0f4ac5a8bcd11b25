package io.procwarden.internal.tree;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps the subreaper trees' member lists current between signals: one daemon thread that,
 * while any such tree lives, walks each every {@value #PROPERTY} milliseconds (default
 * {@value #DEFAULT_INTERVAL_MILLIS}), pinning new descendants and reaping adopted members that
 * died. Without cgroups nothing reports a fork (the proc connector needs CAP_NET_ADMIN), so a
 * process that is born and orphaned within one interval, before any walk saw it, is missed: that
 * is the bound of the subreaper rung.
 *
 * <p>Once this JVM is a subreaper, the cgroup trees (and jail cgroups) have adopted members too:
 * while any tree lives, and for {@value #DRAIN_MILLIS} ms after the last one ended (members still
 * dying), each round also reaps the dead ones ({@link AdoptedZombies}). Otherwise the thread
 * waits without a timeout.
 */
final class TreeTracker {
    private TreeTracker() {}

    static final String PROPERTY = "procwarden.tree.walkMillis";
    static final long DEFAULT_INTERVAL_MILLIS = 10;

    private static final Set<SubreaperTree> TREES = ConcurrentHashMap.newKeySet();
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final Condition CHANGED = LOCK.newCondition();
    private static final Set<Object> OTHERS = ConcurrentHashMap.newKeySet(); // cgroup trees under a subreaper
    static final long DRAIN_MILLIS = 1000;
    private static volatile long drainUntil; // System.nanoTime()
    private static Thread thread; // guarded by LOCK

    /** A cgroup tree of a subreaper JVM: its adopted members are reaped while it lives, and a while after. */
    static void addOther(Object tree) {
        LOCK.lock();
        try {
            OTHERS.add(tree);
            start();
            CHANGED.signalAll();
        } finally {
            LOCK.unlock();
        }
    }

    static void removeOther(Object tree) {
        if (OTHERS.remove(tree)) drainUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
    }

    private static void start() {
        if (thread == null) {
            thread = new Thread(TreeTracker::run, "procwarden-tree-walker");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private static boolean idle() {
        return TREES.isEmpty() && OTHERS.isEmpty() && System.nanoTime() - drainUntil > 0;
    }

    static void add(SubreaperTree tree) {
        LOCK.lock();
        try {
            TREES.add(tree);
            start();
            CHANGED.signalAll();
        } finally {
            LOCK.unlock();
        }
    }

    static void remove(SubreaperTree tree) {
        if (TREES.remove(tree)) drainUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
    }

    private static void run() {
        long interval = TimeUnit.MILLISECONDS.toNanos(Math.max(1, Long.getLong(PROPERTY, DEFAULT_INTERVAL_MILLIS)));
        while (true) {
            LOCK.lock();
            try {
                while (idle()) CHANGED.awaitUninterruptibly();
                // sleep-ok: no event exists for a fork without cgroups (see above); this walk IS the mechanism.
                CHANGED.awaitNanos(interval);
            } catch (InterruptedException e) {
                // a daemon thread of ours: keep walking
            } finally {
                LOCK.unlock();
            }
            for (SubreaperTree t : TREES) {
                try {
                    t.track();
                } catch (java.io.IOException | RuntimeException e) {
                    System.getLogger(TreeTracker.class.getName()).log(System.Logger.Level.WARNING,
                            "walking " + t.describe() + " failed", e);
                }
            }
            if (Subreaper.isOn()) {
                try {
                    AdoptedZombies.reapInOurCgroups();
                } catch (java.io.IOException | RuntimeException e) {
                    System.getLogger(TreeTracker.class.getName()).log(System.Logger.Level.WARNING,
                            "reaping adopted members failed", e);
                }
            }
        }
    }
}
