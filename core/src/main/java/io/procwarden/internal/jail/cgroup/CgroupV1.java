package io.procwarden.internal.jail.cgroup;

import io.procwarden.JailUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A cgroup in the v1 hierarchies: one directory per controller hierarchy (co-mounted controllers
 * such as {@code cpu,cpuacct} share one), each under our own cgroup of that hierarchy.
 * {@code memory.limit_in_bytes} (and {@code memory.memsw.limit_in_bytes}, when swap accounting
 * exists, so the limit is not escaped by swapping), {@code cpu.cfs_period_us} and
 * {@code cpu.cfs_quota_us}, {@code pids.max}. v1 has no {@code cgroup.kill}: signals go to the
 * listed members one by one, with the cgroup frozen meanwhile when the {@code freezer}
 * hierarchy is mounted and writable (then every cgroup gets a directory there too, so that a
 * fork cannot slip between the listing and the signals), and teardown kills the listed members
 * until none is left. Without any limit, the {@code pids} hierarchy (or another mounted one)
 * just tracks the members.
 */
final class CgroupV1 implements Cgroup {
    /** Hierarchies to track members in when no controller is needed, in order of preference. */
    private static final List<String> TRACKERS = List.of("pids", "freezer", "memory", "cpu", "cpuacct");

    private final List<Path> dirs; // the tracking directory last
    private final List<String> paths;
    private final Path memoryDir;
    private final Path freezerDir; // null without the freezer
    private boolean destroyed; // guarded by this

    private CgroupV1(List<Path> dirs, List<String> paths, Path memoryDir, Path freezerDir) {
        this.dirs = List.copyOf(dirs);
        this.paths = List.copyOf(paths);
        this.memoryDir = memoryDir;
        this.freezerDir = freezerDir;
    }

    /** The parent directory, per hierarchy, for a cgroup needing {@code needed}. */
    static Map<Cgroups.Mount, Path> locate(Cgroups.Layout layout, Set<String> needed) throws JailUnavailableException {
        Set<String> wanted = new LinkedHashSet<>(needed);
        if (wanted.isEmpty()) {
            TRACKERS.stream().filter(layout.v1()::containsKey).findFirst().ifPresent(wanted::add);
            if (wanted.isEmpty()) {
                throw new JailUnavailableException("cgroup v1", "no v1 controller hierarchy is mounted (/proc/self/mountinfo)");
            }
        }
        Map<Cgroups.Mount, Path> parents = new LinkedHashMap<>();
        for (String c : wanted) {
            Cgroups.Mount m = layout.v1().get(c);
            if (m == null) {
                throw new JailUnavailableException("cgroup controller " + c,
                        "not mounted as cgroup v1 (mounted: " + layout.v1().keySet() + ")");
            }
            String own = layout.ownV1().get(c);
            if (own == null) throw new JailUnavailableException("cgroup controller " + c, "/proc/self/cgroup has no line for it");
            Path parent = m.dirOf(own);
            if (parent == null) {
                throw new JailUnavailableException("cgroup controller " + c, "our cgroup " + own
                        + " lies outside its mount at " + m.mountPoint() + " (root " + m.root() + ")");
            }
            if (!Files.isWritable(parent)) {
                throw new JailUnavailableException("write access to cgroup " + parent, "run as root, or in a cgroup delegated to this user");
            }
            parents.putIfAbsent(m, parent);
        }
        return parents;
    }

    static CgroupV1 create(Cgroups.Layout layout, CgroupLimits limits, String name) throws IOException {
        Map<Cgroups.Mount, Path> parents = locate(layout, limits.controllers());
        if (layout.v1().containsKey("freezer")) {
            try {
                locate(layout, Set.of("freezer")).forEach(parents::putIfAbsent);
            } catch (JailUnavailableException e) {
                // the freezer only makes signalling atomic; without it, member by member
            }
        }
        List<Path> created = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        Map<String, Path> byController = new LinkedHashMap<>();
        try {
            for (Map.Entry<Cgroups.Mount, Path> e : parents.entrySet()) {
                Path dir = e.getValue().resolve(name);
                CgroupFiles.mkdir(dir);
                created.add(dir);
                paths.add(Cgroups.hierarchyPath(e.getKey(), dir));
                for (String c : e.getKey().controllers()) byController.put(c, dir);
            }
            Path memory = byController.get("memory");
            if (limits.memoryMax() != null) {
                CgroupFiles.write(memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryMax()));
                Path memsw = memory.resolve("memory.memsw.limit_in_bytes");
                if (Files.exists(memsw)) CgroupFiles.write(memsw, Long.toString(limits.memoryMax()));
            }
            if (limits.cpuQuotaMicros() != null) {
                Path cpu = byController.get("cpu");
                CgroupFiles.write(cpu.resolve("cpu.cfs_period_us"), Long.toString(limits.cpuPeriodMicros()));
                CgroupFiles.write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuQuotaMicros()));
            }
            if (limits.pidsMax() != null) {
                CgroupFiles.write(byController.get("pids").resolve("pids.max"), Long.toString(limits.pidsMax()));
            }
            // Track members in pids when we have it (it counts every task), so put it last.
            Path tracker = byController.getOrDefault("pids", created.get(0));
            int t = created.indexOf(tracker);
            created.add(created.remove(t));
            paths.add(paths.remove(t));
            return new CgroupV1(created, paths, memory, byController.get("freezer"));
        } catch (IOException | RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) CgroupFiles.removeQuietly(created.get(i), e);
            throw e;
        }
    }

    private Path tracked() {
        return dirs.getLast();
    }

    @Override
    public String describe() {
        return "cgroup v1 " + dirs;
    }

    @Override
    public List<Path> directories() {
        return dirs;
    }

    @Override
    public List<String> hierarchyPaths() {
        return paths;
    }

    @Override
    public void attach(int pid) throws IOException {
        for (Path dir : dirs) {
            CgroupFiles.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
        }
    }

    @Override
    public List<Integer> pids() throws IOException {
        return CgroupFiles.pids(tracked());
    }

    @Override
    public synchronized boolean signalAll(int signal) throws IOException {
        if (destroyed || !Files.isDirectory(tracked())) return false;
        try {
            if (freezerDir == null) return CgroupFiles.signalListed(tracked(), paths.getLast(), signal) > 0;
            if (CgroupFiles.pids(tracked()).isEmpty()) return false; // nobody to freeze (the usual teardown)
            CgroupFreezer.freeze(freezerDir);
            try {
                return CgroupFiles.signalListed(tracked(), paths.getLast(), signal) > 0;
            } finally {
                CgroupFreezer.thaw(freezerDir);
            }
        } catch (IOException e) {
            if (!Files.isDirectory(tracked())) return false; // removed meanwhile (by someone else): nothing to signal
            throw e;
        }
    }

    @Override
    public boolean awaitEmpty(long deadlineNanos) throws IOException {
        long pause = 10_000;
        while (true) {
            if (!Files.isDirectory(tracked()) || CgroupFiles.pids(tracked()).isEmpty()) return true;
            if (System.nanoTime() > deadlineNanos) return false;
            if (!CgroupDrain.awaitMembersExit(tracked(), deadlineNanos)) {
                // Listed members that cannot be pinned (no pidfds), or a dying task still listed:
                // v1 has no "populated" event, so this fallback polls, bounded by the deadline.
                java.util.concurrent.locks.LockSupport.parkNanos(pause); // sleep-ok: v1 offers no emptiness event
                pause = Math.min(pause * 2, 1_000_000);
            }
        }
    }

    @Override
    public boolean atomicSignals() {
        return freezerDir != null;
    }

    @Override
    public long oomKills() {
        return memoryDir == null ? -1 : CgroupFiles.keyed(memoryDir.resolve("memory.oom_control"), "oom_kill");
    }

    @Override
    public synchronized void destroy() throws IOException {
        if (destroyed) return;
        CgroupFiles.killAndRemove(tracked(), dirs, this::killAll);
        destroyed = true;
    }

    @Override
    public String toString() {
        return describe();
    }
}
