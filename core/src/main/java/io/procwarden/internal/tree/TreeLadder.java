package io.procwarden.internal.tree;

import io.procwarden.JailUnavailableException;
import io.procwarden.internal.jail.cgroup.Cgroup;
import io.procwarden.internal.jail.cgroup.CgroupLimits;
import io.procwarden.internal.jail.cgroup.Cgroups;
import java.io.IOException;

/**
 * Builds the tree for one contained child on the rung {@link TreeProbe#selected()} gives, with
 * the jail's cgroup limits (if any) where they can go:
 * <ul>
 *   <li>cgroup v2: one v2 cgroup holds both when v2 can give the controllers (or none are
 *       needed); otherwise the limits go to the v1 controllers and the tree to a v2 leaf beside
 *       them (a hybrid host: v1 controllers plus a controller-less cgroup2 mount);
 *   <li>cgroup v1: one v1 cgroup (with the freezer) holds both;
 *   <li>subreaper: the limits, if any, in a cgroup of their own, chosen as for any jail.
 * </ul>
 */
public final class TreeLadder {
    private TreeLadder() {}

    /**
     * Where a contained child goes.
     *
     * @param tree what holds its tree
     * @param limits the cgroup with the jail's limits (maybe the tree's own), or null without
     */
    public record Placement(Tree tree, Cgroup limits) {
        /** True when the limits are in a cgroup apart from the tree, which must be attached and removed too. */
        public boolean separateLimits() {
            return limits != null && tree.cgroup().map(c -> c != limits).orElse(true);
        }
    }

    /**
     * Makes the tree (and the limits' cgroup) for one child.
     *
     * @param limits the jail's cgroup limits, or null when it asks for no cgroup
     * @throws JailUnavailableException when no rung (or the forced one) works here
     */
    public static Placement place(CgroupLimits limits) throws IOException {
        return switch (TreeProbe.selected()) {
            case CGROUP_V2 -> v2(limits);
            case CGROUP_V1_FREEZER -> v1(limits);
            case SUBREAPER -> new Placement(new SubreaperTree(), limits == null ? null : Cgroups.create(limits));
        };
    }

    private static Placement v2(CgroupLimits limits) throws IOException {
        if (limits == null || limits.controllers().isEmpty()) {
            Cgroup leaf = Cgroups.create(CgroupLimits.NONE, Cgroups.Version.V2);
            return new Placement(announced(new CgroupTree(TreeRung.CGROUP_V2, leaf)), limits == null ? null : leaf);
        }
        if (Cgroups.version() != Cgroups.Version.V1) {
            try {
                Cgroup both = Cgroups.create(limits, Cgroups.Version.V2);
                return new Placement(announced(new CgroupTree(TreeRung.CGROUP_V2, both)), both);
            } catch (JailUnavailableException noControllers) {
                if (Cgroups.version() == Cgroups.Version.V2) throw noControllers;
            }
        }
        Cgroup v1 = Cgroups.create(limits, Cgroups.Version.V1);
        try {
            Cgroup leaf = Cgroups.create(CgroupLimits.NONE, Cgroups.Version.V2);
            return new Placement(announced(new CgroupTree(TreeRung.CGROUP_V2, leaf, v1.directories())), v1);
        } catch (IOException | RuntimeException e) {
            destroyQuietly(v1, e);
            throw e;
        }
    }

    private static Placement v1(CgroupLimits limits) throws IOException {
        Cgroup c = Cgroups.create(limits == null ? CgroupLimits.NONE : limits, Cgroups.Version.V1);
        if (!c.atomicSignals()) {
            JailUnavailableException e = new JailUnavailableException("tree containment cgroup-v1",
                    "no writable v1 freezer hierarchy for " + c.describe());
            destroyQuietly(c, e);
            throw e;
        }
        return new Placement(new CgroupTree(TreeRung.CGROUP_V1_FREEZER, c), limits == null ? null : c);
    }

    private static CgroupTree announced(CgroupTree tree) {
        tree.announce();
        return tree;
    }

    private static void destroyQuietly(Cgroup c, Exception primary) {
        try {
            c.destroy();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
