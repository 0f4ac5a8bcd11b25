package io.procwarden.internal.jail.cgroup;

import io.procwarden.JailUnavailableException;
import io.procwarden.internal.ffi.Unistd;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Finds the cgroup hierarchies and this JVM's place in them, and picks the mechanism: the
 * unified (v2) hierarchy first, the v1 controller hierarchies when v2 cannot give the needed
 * controllers (hybrid hosts mount the controllers on v1 and leave v2 empty). The system property
 * {@value #PROPERTY} ({@code auto}, {@code v1}, {@code v2}) forces one; an invalid value fails.
 *
 * <p>Mount points come from {@code /proc/self/mountinfo}, not a fixed {@code /sys/fs/cgroup}, and
 * our own cgroup from {@code /proc/self/cgroup}, so that in a container (cgroup namespace, or a
 * bind-mounted subtree) the jail's cgroups land under the JVM's own. Names are
 * {@code procwarden-<jvm pid>-<n>}.
 */
public final class Cgroups {
    private Cgroups() {}

    /** The system property that forces a mechanism. */
    public static final String PROPERTY = "procwarden.cgroup";

    /** Which mechanism to use. */
    public enum Version { AUTO, V1, V2 }

    /**
     * One cgroup mount.
     *
     * @param mountPoint where it is mounted
     * @param root the hierarchy path of the mount's root (field 4 of mountinfo; "/" unless a subtree is bind-mounted)
     * @param controllers the v1 controllers on it (empty for v2)
     */
    public record Mount(Path mountPoint, String root, Set<String> controllers) {
        /** The directory of hierarchy path {@code path}, or null when it lies outside this mount. */
        public Path dirOf(String path) {
            if (root.equals("/")) return mountPoint.resolve(path.substring(1));
            if (path.equals(root)) return mountPoint;
            if (path.startsWith(root + "/")) return mountPoint.resolve(path.substring(root.length() + 1));
            return null;
        }
    }

    /**
     * What this process sees.
     *
     * @param v2 the unified hierarchy, or null
     * @param ownV2 our path in it ("0::" line), or null
     * @param v1 v1 mounts by controller name
     * @param ownV1 our path in each v1 hierarchy, by controller name
     */
    public record Layout(Mount v2, String ownV2, Map<String, Mount> v1, Map<String, String> ownV1) {}

    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** The v1 controllers the kernel has had (Documentation/admin-guide/cgroup-v1). */
    static final Set<String> V1_CONTROLLERS = Set.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
            "net_cls", "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc");

    /** The mechanism the system property asks for ({@code auto} when unset). */
    public static Version version() {
        String v = System.getProperty(PROPERTY, "auto").trim().toUpperCase(Locale.ROOT);
        try {
            return Version.valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("system property " + PROPERTY + " must be auto, v1 or v2, not \""
                    + System.getProperty(PROPERTY) + "\"");
        }
    }

    /** Creates a cgroup with these limits for one child. */
    public static Cgroup create(CgroupLimits limits) throws IOException {
        return create(limits, version());
    }

    /**
     * Creates a cgroup with these limits for one child with the given mechanism ({@code AUTO}: v2,
     * else v1), whatever the system property says.
     */
    public static Cgroup create(CgroupLimits limits, Version version) throws IOException {
        Layout layout = layout();
        String name = "procwarden-" + Unistd.getpid() + "-" + COUNTER.incrementAndGet();
        return switch (version) {
            case V2 -> CgroupV2.create(layout, limits, name);
            case V1 -> CgroupV1.create(layout, limits, name);
            case AUTO -> {
                JailUnavailableException v2Missing;
                try {
                    yield CgroupV2.create(layout, limits, name);
                } catch (JailUnavailableException e) {
                    v2Missing = e;
                }
                try {
                    yield CgroupV1.create(layout, limits, name);
                } catch (JailUnavailableException e) {
                    throw both(limits, v2Missing, e);
                }
            }
        };
    }

    /** Checks, without writing anything, that a cgroup with these limits could be made. */
    public static void check(CgroupLimits limits) throws IOException {
        Layout layout = layout();
        switch (version()) {
            case V2 -> CgroupV2.locate(layout, limits.controllers(), false);
            case V1 -> CgroupV1.locate(layout, limits.controllers());
            case AUTO -> {
                try {
                    CgroupV2.locate(layout, limits.controllers(), false);
                } catch (JailUnavailableException v2Missing) {
                    try {
                        CgroupV1.locate(layout, limits.controllers());
                    } catch (JailUnavailableException v1Missing) {
                        throw both(limits, v2Missing, v1Missing);
                    }
                }
            }
        }
    }

    private static JailUnavailableException both(CgroupLimits limits, JailUnavailableException v2, JailUnavailableException v1) {
        String what = limits.controllers().isEmpty() ? "a writable cgroup hierarchy"
                : "cgroup controllers " + String.join(",", limits.controllers());
        JailUnavailableException e = new JailUnavailableException(what, "v2: " + v2.getMessage() + "; v1: " + v1.getMessage());
        e.addSuppressed(v2);
        e.addSuppressed(v1);
        return e;
    }

    /** This process's view of the cgroup hierarchies. */
    public static Layout layout() throws IOException {
        return parse(CgroupFiles.read(Path.of("/proc/self/mountinfo")), CgroupFiles.read(Path.of("/proc/self/cgroup")));
    }

    /** Parses mountinfo and /proc/self/cgroup text (separate for unit tests). */
    static Layout parse(String mountinfo, String cgroup) {
        Mount v2 = null;
        Map<String, Mount> v1 = new HashMap<>();
        for (String line : mountinfo.split("\n")) {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            int dash = line.indexOf(" - ");
            if (dash < 0) continue;
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length < 5 || post.length < 3) continue;
            String fstype = post[0];
            if (fstype.equals("cgroup2")) {
                if (v2 == null) v2 = new Mount(Path.of(unescape(pre[4])), unescape(pre[3]), Set.of());
            } else if (fstype.equals("cgroup")) {
                Set<String> controllers = new TreeSet<>();
                for (String opt : post[2].split(",")) {
                    // super options mix controllers with flags (xattr, noprefix, clone_children, name=...)
                    if (V1_CONTROLLERS.contains(opt)) controllers.add(opt);
                }
                Mount m = new Mount(Path.of(unescape(pre[4])), unescape(pre[3]), Set.copyOf(controllers));
                for (String c : controllers) v1.putIfAbsent(c, m);
            }
        }
        String ownV2 = null;
        Map<String, String> ownV1 = new HashMap<>();
        for (String line : cgroup.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3) continue;
            if (f[0].equals("0") && f[1].isEmpty()) {
                ownV2 = f[2];
            } else {
                for (String c : f[1].split(",")) {
                    if (!c.isEmpty()) ownV1.put(c, f[2]);
                }
            }
        }
        return new Layout(v2, ownV2, Map.copyOf(v1), Map.copyOf(ownV1));
    }

    /** mountinfo escapes space, tab, newline and backslash as octal {@code \ooo}. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The hierarchy path of {@code dir} below a mount, as {@code /proc/PID/cgroup} shows it. */
    static String hierarchyPath(Mount m, Path dir) {
        String rel = m.mountPoint().relativize(dir).toString();
        if (rel.isEmpty()) return m.root();
        return m.root().equals("/") ? "/" + rel : m.root() + "/" + rel;
    }
}
