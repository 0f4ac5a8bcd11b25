package io.procwarden;

import io.procwarden.internal.tree.Subreaper;
import io.procwarden.internal.tree.TreeProbe;
import io.procwarden.internal.tree.TreeRung;
import java.util.Optional;

/**
 * How a child spawned with {@link ProcessSpec#containTree()} has its whole process tree held:
 * the ladder, best first. Each rung is probed once, by really using it; a rung that does not
 * work here keeps the cause ({@link #unavailabilityCause()}). A contained spawn takes the first
 * available rung, or the one the system property {@value #PROPERTY} names ({@code auto},
 * {@code cgroup-v2}, {@code cgroup-v1}, {@code subreaper}; read at every spawn).
 *
 * <table>
 *   <caption>What each rung covers</caption>
 *   <tr><th>rung</th><th>signals</th><th>empty when</th><th>a member escapes by</th></tr>
 *   <tr><td>{@link #CGROUP_V2}</td><td>{@code cgroup.kill} (5.14), else freeze + signal + thaw</td>
 *       <td>{@code cgroup.events} says {@code populated 0} (an event)</td><td>nothing without
 *       the privilege to move itself to another cgroup</td></tr>
 *   <tr><td>{@link #CGROUP_V1_FREEZER}</td><td>freeze + signal + thaw</td><td>every listed member's
 *       pidfd is readable</td><td>as v2</td></tr>
 *   <tr><td>{@link #SUBREAPER}</td><td>SIGSTOP every member, walk until closed, signal, SIGCONT</td>
 *       <td>every member's pidfd is readable</td><td>being born and orphaned between two walks
 *       (an interval of 10 ms)</td></tr>
 * </table>
 */
public enum TreeMechanism {
    /** A cgroup v2 leaf, with or without controllers (this JVM's v2 cgroup must be writable). */
    CGROUP_V2(TreeRung.CGROUP_V2),
    /** The cgroup v1 hierarchies, with the {@code freezer} mounted and writable. */
    CGROUP_V1_FREEZER(TreeRung.CGROUP_V1_FREEZER),
    /**
     * No cgroups: this JVM as child subreaper ({@code PR_SET_CHILD_SUBREAPER}) plus a walk of
     * {@code /proc/PID/task/*}{@code /children}, members pinned by pidfd. Opt-in
     * ({@link #allowSubreaper()}).
     */
    SUBREAPER(TreeRung.SUBREAPER);

    /** The system property that forces a rung: {@value}. */
    public static final String PROPERTY = TreeRung.PROPERTY;

    private final TreeRung rung;

    TreeMechanism(TreeRung rung) {
        this.rung = rung;
    }

    static TreeMechanism of(TreeRung rung) {
        return switch (rung) {
            case CGROUP_V2 -> CGROUP_V2;
            case CGROUP_V1_FREEZER -> CGROUP_V1_FREEZER;
            case SUBREAPER -> SUBREAPER;
        };
    }

    /** A short description of the mechanism. */
    public String description() {
        return rung.description();
    }

    /** The lower-case id the system property and the CLI use ({@code cgroup-v2}, ...). */
    public String id() {
        return rung.id();
    }

    /**
     * Empty if this system can use the rung (for {@link #SUBREAPER}: and it is allowed); else why
     * not: the exception the probe got, naming the file, call or errno that failed.
     */
    public Optional<Throwable> unavailabilityCause() {
        return TreeProbe.unavailabilityCause(rung);
    }

    /** True if a contained spawn can use this rung here. */
    public boolean isAvailable() {
        return TreeProbe.isAvailable(rung);
    }

    /**
     * The rung a contained spawn would use now: the one {@value #PROPERTY} names, else the first
     * available.
     *
     * @throws IllegalArgumentException if the property names no rung
     * @throws IllegalStateException if that rung, or every rung, is unavailable (the cause says why)
     */
    public static TreeMechanism selected() {
        try {
            return of(TreeProbe.selected());
        } catch (JailUnavailableException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Parses an id ({@code cgroup-v2}, {@code cgroup-v1}, {@code subreaper}), any case.
     *
     * @throws IllegalArgumentException naming the value and the valid ones
     */
    public static TreeMechanism parse(String id) {
        return of(TreeRung.parse(id));
    }

    /**
     * Allows the {@link #SUBREAPER} rung in this JVM. Process-wide: once a contained spawn uses
     * it, this JVM is a child subreaper for the rest of its life, and the orphaned descendants of
     * <em>all</em> its children (the JDK's too) are reparented to it. procwarden reaps only the
     * ones it saw born inside a contained tree; other adopted orphans are never reaped here (they
     * cannot be told from {@link ProcessBuilder}'s children, which must never be reaped by anyone
     * but the JDK) and stay zombies until this JVM exits. So allow it in a JVM that spawns
     * through procwarden (the CLI does), not in a library's host by default.
     */
    public static void allowSubreaper() {
        Subreaper.allow();
    }

    /** Whether {@link #allowSubreaper()} was called in this JVM. */
    public static boolean isSubreaperAllowed() {
        return Subreaper.allowed();
    }
}
