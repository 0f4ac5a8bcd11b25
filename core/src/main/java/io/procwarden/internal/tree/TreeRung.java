package io.procwarden.internal.tree;

import java.util.Locale;

/**
 * The mechanisms that hold a child's whole process tree, best first: the ladder. Each is probed
 * once ({@link TreeProbe}); the system property {@value #PROPERTY} forces one.
 */
public enum TreeRung {
    /** A cgroup v2 leaf, with or without controllers: {@code cgroup.kill} (5.14) or freeze + signal + thaw; empty by {@code cgroup.events}. */
    CGROUP_V2("cgroup-v2", "cgroup v2 leaf (cgroup.kill, or cgroup.freeze + signal + thaw; empty when cgroup.events says populated 0)"),
    /** The v1 hierarchies with the freezer: freeze + signal + thaw; empty when the members' pidfds say so. */
    CGROUP_V1_FREEZER("cgroup-v1", "cgroup v1 with the freezer (freeze + signal + thaw; empty when every member's pidfd is readable)"),
    /** No cgroups: this JVM as child subreaper, plus a walk of {@code /proc/PID/task/*}{@code /children} with pidfds. */
    SUBREAPER("subreaper", "PR_SET_CHILD_SUBREAPER + a walk of /proc/PID/task/*/children, members pinned by pidfd"
            + " (SIGSTOP + signal + SIGCONT)");

    /** The system property that forces a rung: {@value} ({@code auto}, {@code cgroup-v2}, {@code cgroup-v1}, {@code subreaper}). */
    public static final String PROPERTY = "procwarden.tree";

    private final String id;
    private final String description;

    TreeRung(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** The lower-case id the system property and the CLI use. */
    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    /**
     * Parses an id, any case.
     *
     * @throws IllegalArgumentException naming the value and the valid ones
     */
    public static TreeRung parse(String id) {
        for (TreeRung r : values()) {
            if (r.id.equalsIgnoreCase(id.trim())) return r;
        }
        throw new IllegalArgumentException("unknown tree containment \"" + id + "\" (valid: cgroup-v2, cgroup-v1, subreaper)");
    }

    /** The rung the system property forces, or null for {@code auto} (or unset). */
    static TreeRung forced() {
        String v = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        if (v.isEmpty() || v.equals("auto")) return null;
        try {
            return parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("system property " + PROPERTY + ": " + e.getMessage());
        }
    }
}
