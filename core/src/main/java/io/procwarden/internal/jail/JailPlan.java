package io.procwarden.internal.jail;

import io.procwarden.internal.jail.cgroup.CgroupLimits;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A jail resolved once from the public spec into what the mechanisms need: numbers, paths and
 * flags, nothing left to interpret. Everything in this package (and {@code cgroup}) reads only
 * the plan; the public spec is never seen below this line. Null components are "not asked for".
 *
 * @param rlimits the resource limits, applied with prlimit(2) in this order
 * @param credentials user, groups, no_new_privs and the parent-death signal (setpriv)
 * @param cgroup the limits of a cgroup of its own, or null for none
 * @param sandbox the namespaces and file system view (bubblewrap), or null for no bwrap
 * @param environmentAllowlist the names kept in the environment, or null to leave it unfiltered
 * @param umask the file mode creation mask, or null to inherit ours
 * @param pidFile the absolute pid file path, or null for none
 * @param containTree hold the child's whole process tree ({@code internal/tree}): signals reach
 *     every descendant, and what is left when the child ends is killed
 */
public record JailPlan(
        List<Rlimit> rlimits,
        Credentials credentials,
        CgroupLimits cgroup,
        Sandbox sandbox,
        Set<String> environmentAllowlist,
        Integer umask,
        Path pidFile,
        boolean containTree) {

    /** A plan that changes nothing (the stub still parks; tests and probes start from it). */
    public static final JailPlan NONE = new JailPlan(List.of(), Credentials.NONE, null, null, null, null, null);

    /** A plan without tree containment. */
    public JailPlan(List<Rlimit> rlimits, Credentials credentials, CgroupLimits cgroup, Sandbox sandbox,
            Set<String> environmentAllowlist, Integer umask, Path pidFile) {
        this(rlimits, credentials, cgroup, sandbox, environmentAllowlist, umask, pidFile, false);
    }

    /** The same plan, holding the child's whole tree. */
    public JailPlan withContainedTree() {
        return new JailPlan(rlimits, credentials, cgroup, sandbox, environmentAllowlist, umask, pidFile, true);
    }

    /** Copies the collections, so a plan is immutable. */
    public JailPlan {
        rlimits = List.copyOf(rlimits);
        Objects.requireNonNull(credentials, "credentials");
        if (environmentAllowlist != null) environmentAllowlist = Set.copyOf(environmentAllowlist);
        if (pidFile != null && !pidFile.isAbsolute()) throw new IllegalArgumentException("pid file not absolute: " + pidFile);
    }

    /**
     * One resource limit.
     *
     * @param resource the {@code RLIMIT_*} number
     * @param soft the soft limit as {@code rlim_t} ({@code RLIM_INFINITY} for none)
     * @param hard the hard limit as {@code rlim_t}
     */
    public record Rlimit(int resource, long soft, long hard) {}

    /**
     * What setpriv changes.
     *
     * @param noNewPrivileges set {@code no_new_privs}
     * @param uid the real and effective uid, or null to keep ours
     * @param gid the real and effective gid, or null to keep ours (set exactly when uid is)
     * @param groups the supplementary groups: null when not asked for (kept, or cleared when the
     *     uid changes), empty to clear them, else exactly these
     * @param parentDeathSignal the signal number sent when the spawning thread ends, 0 for none
     */
    public record Credentials(boolean noNewPrivileges, Integer uid, Integer gid, List<Integer> groups,
            int parentDeathSignal) {
        /** Nothing changed. */
        public static final Credentials NONE = new Credentials(false, null, null, null, 0);

        /** Checks that uid and gid come together, and copies the groups. */
        public Credentials {
            if ((uid == null) != (gid == null)) throw new IllegalArgumentException("uid and gid are set together");
            if (groups != null) groups = List.copyOf(groups);
        }
    }

    /** A namespace bubblewrap unshares. */
    public enum Namespace { USER, PID, IPC, UTS, NET }

    /** The file system the sandbox starts from. */
    public enum View { HOST, HOST_READ_ONLY, EMPTY }

    /**
     * A host path made visible read-only inside the sandbox.
     *
     * @param source the absolute host path
     * @param destination the absolute path in the sandbox
     */
    public record Bind(Path source, Path destination) {}

    /**
     * What bubblewrap sets up.
     *
     * @param namespaces the namespaces to unshare
     * @param view the file system view
     * @param readOnlyBinds host paths visible read-only, in order
     * @param tmpfs paths that get a private tmpfs, in order
     * @param dieWithParent bwrap's {@code --die-with-parent}
     * @param bubblewrap the executable the spec names, or null to take the system property or
     *     look in the usual places
     */
    public record Sandbox(Set<Namespace> namespaces, View view, List<Bind> readOnlyBinds, List<Path> tmpfs,
            boolean dieWithParent, Path bubblewrap) {
        /** Copies the collections. */
        public Sandbox {
            namespaces = namespaces.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(namespaces));
            Objects.requireNonNull(view, "view");
            readOnlyBinds = List.copyOf(readOnlyBinds);
            tmpfs = List.copyOf(tmpfs);
        }
    }

    /** The limit of {@code resource}, or null when the plan does not set it. */
    public Rlimit rlimit(int resource) {
        for (Rlimit r : rlimits) {
            if (r.resource() == resource) return r;
        }
        return null;
    }

    /**
     * Whether the child must be spawned from the thread that lives as long as the JVM: the
     * kernel's "parent" for a parent-death signal is the spawning thread.
     */
    public boolean pinnedToSpawnThread() {
        return credentials.parentDeathSignal() != 0 || (sandbox != null && sandbox.dieWithParent());
    }
}
