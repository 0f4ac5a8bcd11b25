package io.procwarden.internal.tree;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Prctl;

/**
 * This JVM as a child subreaper ({@code PR_SET_CHILD_SUBREAPER}): the orphaned descendants of
 * its children are reparented to it instead of init, so a tree stays reachable under it.
 *
 * <p>Opt-in, process-wide and for the rest of the JVM's life: a subreaper adopts the orphans of
 * <em>every</em> child, including the JDK's, and must reap them. procwarden reaps only the
 * adopted processes it knows as members of a tree it contains (pinned by pidfd and start time),
 * never a child it did not see born inside one: a {@link ProcessBuilder} child is never reaped
 * here. Turned on the first time the subreaper rung is used, not when allowed.
 */
public final class Subreaper {
    private Subreaper() {}

    private static volatile boolean allowed;
    private static boolean on; // guarded by Subreaper.class

    /** Allows the subreaper rung for this JVM. */
    public static void allow() {
        allowed = true;
    }

    public static boolean allowed() {
        return allowed;
    }

    /** Makes this JVM a child subreaper, once. */
    static synchronized void ensure() throws SyscallException {
        if (!allowed) throw new IllegalStateException("the subreaper rung is not allowed in this JVM");
        if (on) return;
        Prctl.setChildSubreaper(true);
        on = true;
    }

    /** Whether procwarden made this JVM a child subreaper. */
    static synchronized boolean isOn() {
        return on;
    }

    /** Whether this JVM is a child subreaper now (asks the kernel). */
    public static boolean active() {
        try {
            return Prctl.isChildSubreaper();
        } catch (SyscallException e) {
            return false;
        }
    }
}
