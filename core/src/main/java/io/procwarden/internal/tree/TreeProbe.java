package io.procwarden.internal.tree;

import io.procwarden.JailUnavailableException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Prctl;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.jail.cgroup.Cgroup;
import io.procwarden.internal.jail.cgroup.CgroupLimits;
import io.procwarden.internal.jail.cgroup.Cgroups;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Decides once per rung (when first asked), by really doing it, which rungs of the ladder work
 * here, and keeps the cause for each one that does not, as a Throwable:
 * <ul>
 *   <li>cgroup v2: a leaf made and removed under our own v2 cgroup, which must have
 *       {@code cgroup.events} and {@code cgroup.kill} or {@code cgroup.freeze};
 *   <li>cgroup v1: the same in the v1 hierarchies, which must include a writable freezer;
 *   <li>subreaper: {@code PR_GET_CHILD_SUBREAPER}, {@code /proc/self/task/TID/children} and a
 *       pidfd of ourselves work. It is also opt-in ({@link Subreaper#allow()}); that part is
 *       checked on every call, not memoised.
 * </ul>
 * {@link #selected()} reads {@value TreeRung#PROPERTY} on every call.
 */
public final class TreeProbe {
    private TreeProbe() {}

    /** Each rung probed once, when first asked about: a spawn on rung 1 never pays for the others. */
    private static final Map<TreeRung, Optional<Throwable>> CAUSES = new java.util.concurrent.ConcurrentHashMap<>();

    /** Empty if the rung works here (and, for the subreaper, is allowed); otherwise why not. */
    public static Optional<Throwable> unavailabilityCause(TreeRung rung) {
        Optional<Throwable> cause = CAUSES.computeIfAbsent(rung, TreeProbe::probe);
        if (cause.isEmpty() && rung == TreeRung.SUBREAPER && !Subreaper.allowed()) {
            return Optional.of(new IllegalStateException("the subreaper rung is opt-in for the library: this JVM would"
                    + " adopt every orphaned descendant of its children (TreeMechanism.allowSubreaper())"));
        }
        return cause;
    }

    public static boolean isAvailable(TreeRung rung) {
        return unavailabilityCause(rung).isEmpty();
    }

    /**
     * The rung a new contained tree gets: the one {@value TreeRung#PROPERTY} forces, else the
     * first available.
     *
     * @throws IllegalArgumentException if the property names no rung
     * @throws JailUnavailableException if the forced rung, or every rung, is unavailable (the
     *     causes are attached)
     */
    public static TreeRung selected() throws JailUnavailableException {
        TreeRung forced = TreeRung.forced();
        if (forced != null) {
            Optional<Throwable> cause = unavailabilityCause(forced);
            if (cause.isEmpty()) return forced;
            JailUnavailableException e = new JailUnavailableException("tree containment " + forced.id(),
                    TreeRung.PROPERTY + "=" + forced.id() + " but it is unavailable: " + cause.get().getMessage());
            e.initCause(cause.get());
            throw e;
        }
        StringBuilder why = new StringBuilder();
        for (TreeRung r : TreeRung.values()) {
            Optional<Throwable> cause = unavailabilityCause(r);
            if (cause.isEmpty()) return r;
            why.append(why.isEmpty() ? "" : "; ").append(r.id()).append(": ").append(cause.get().getMessage());
        }
        JailUnavailableException e = new JailUnavailableException("a tree containment mechanism", why.toString());
        for (TreeRung r : TreeRung.values()) unavailabilityCause(r).ifPresent(e::addSuppressed);
        throw e;
    }

    private static Optional<Throwable> probe(TreeRung rung) {
        return switch (rung) {
            case CGROUP_V2 -> probeCgroup(Cgroups.Version.V2);
            case CGROUP_V1_FREEZER -> probeCgroup(Cgroups.Version.V1);
            case SUBREAPER -> probeSubreaper();
        };
    }

    private static Optional<Throwable> probeCgroup(Cgroups.Version version) {
        if (!Platform.current().isLinux()) return Optional.of(new UnsupportedOperationException("cgroups are Linux only"));
        Cgroup c;
        try {
            c = Cgroups.create(CgroupLimits.NONE, version);
        } catch (Exception | LinkageError e) {
            return Optional.of(e);
        }
        Throwable cause = null;
        try {
            Path dir = c.directories().getLast();
            if (version == Cgroups.Version.V2 && !Files.exists(dir.resolve("cgroup.events"))) {
                cause = new UnsupportedOperationException(dir + " has no cgroup.events (Linux 4.5+)");
            } else if (!c.atomicSignals()) {
                cause = new UnsupportedOperationException(version == Cgroups.Version.V2
                        ? dir + " has neither cgroup.kill (5.14) nor cgroup.freeze (5.2)"
                        : "no writable v1 freezer hierarchy (" + c.describe() + ")");
            }
        } finally {
            try {
                c.destroy();
            } catch (Exception e) {
                if (cause == null) cause = e;
            }
        }
        return Optional.ofNullable(cause);
    }

    private static Optional<Throwable> probeSubreaper() {
        if (!Platform.current().isLinux()) {
            return Optional.of(new UnsupportedOperationException("PR_SET_CHILD_SUBREAPER is Linux only"));
        }
        try (Fd self = Pidfd.open(Unistd.getpid())) {
            Prctl.isChildSubreaper();
            int pid = Unistd.getpid();
            Path children = Path.of("/proc", Integer.toString(pid), "task", Integer.toString(pid), "children");
            if (!Files.isReadable(children)) {
                return Optional.of(new UnsupportedOperationException(children + " is missing (a kernel without CONFIG_PROC_CHILDREN)"));
            }
            DescendantWalk.children(pid);
            return Optional.empty();
        } catch (Exception | LinkageError e) {
            return Optional.of(e);
        }
    }
}
