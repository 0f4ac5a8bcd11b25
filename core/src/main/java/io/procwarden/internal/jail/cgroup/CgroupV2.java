package io.procwarden.internal.jail.cgroup;

import io.procwarden.JailUnavailableException;
import io.procwarden.Signal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A cgroup in the unified hierarchy (cgroup v2): one directory; {@code memory.max} (plus
 * {@code memory.swap.max} 0, so the limit is not escaped by swapping), {@code cpu.max},
 * {@code pids.max}; SIGKILL (and so teardown) through {@code cgroup.kill} (Linux 5.14), which kills
 * every member atomically, forks in flight included; other signals, and SIGKILL before 5.14,
 * member by member with the cgroup frozen meanwhile ({@link CgroupV2Freezer}, 5.2), or without
 * the freeze on older kernels (teardown repeats until empty). Emptiness is an event:
 * {@code populated 0} in {@code cgroup.events} ({@link CgroupEvents}).
 *
 * <p>Where: under our own cgroup when no controller is needed or ours delegates them
 * ({@code cgroup.subtree_control}). A non-root cgroup that has processes (ours: the JVM is in it)
 * cannot enable controllers for its children (the "no internal processes" rule, EBUSY), so we
 * go up to the nearest ancestor that already delegates them, or can be made to; the cgroup is
 * then a sibling of ours (e.g. under {@code system.slice} when the JVM runs in a service).
 */
final class CgroupV2 implements Cgroup {
    private static final int SIGKILL = Signal.KILL.number();

    private final Path dir;
    private final String hierarchyPath;
    private boolean destroyed; // guarded by this

    private CgroupV2(Path dir, String hierarchyPath) {
        this.dir = dir;
        this.hierarchyPath = hierarchyPath;
    }

    /** Where our cgroup goes. */
    record Base(Cgroups.Mount mount, Path dir) {}

    /**
     * Finds the parent directory for a cgroup that needs {@code needed}.
     *
     * @param enable write {@code +controller} to a {@code cgroup.subtree_control} on the way up
     *     where the controllers are available but not enabled (false: only check)
     */
    static Base locate(Cgroups.Layout layout, Set<String> needed, boolean enable) throws JailUnavailableException {
        Cgroups.Mount m = layout.v2();
        if (m == null) throw new JailUnavailableException("cgroup v2", "no cgroup2 file system is mounted (/proc/self/mountinfo)");
        if (layout.ownV2() == null) throw new JailUnavailableException("cgroup v2", "/proc/self/cgroup has no \"0::\" line");
        Path own = m.dirOf(layout.ownV2());
        if (own == null) {
            throw new JailUnavailableException("cgroup v2", "our cgroup " + layout.ownV2() + " lies outside the cgroup2 mount at "
                    + m.mountPoint() + " (root " + m.root() + ")");
        }
        if (needed.isEmpty()) {
            if (!Files.isWritable(own)) {
                throw new JailUnavailableException("write access to cgroup " + own, "run as root, or in a cgroup delegated to this user");
            }
            return new Base(m, own);
        }
        List<String> tried = new ArrayList<>();
        for (Path x = own; x != null && x.startsWith(m.mountPoint()); x = x.getParent()) {
            try {
                Set<String> enabled = words(CgroupFiles.read(x.resolve("cgroup.subtree_control")));
                if (enabled.containsAll(needed)) return new Base(m, x);
                Set<String> available = words(CgroupFiles.read(x.resolve("cgroup.controllers")));
                if (!available.containsAll(needed)) {
                    tried.add(x + " offers only " + available);
                    continue;
                }
                if (!enable) return new Base(m, x);
                Set<String> missing = new TreeSet<>(needed);
                missing.removeAll(enabled);
                StringBuilder b = new StringBuilder();
                for (String c : missing) b.append(b.isEmpty() ? "+" : " +").append(c);
                CgroupFiles.write(x.resolve("cgroup.subtree_control"), b.toString());
                return new Base(m, x);
            } catch (IOException e) {
                tried.add(e.getMessage());
            }
        }
        throw new JailUnavailableException("cgroup v2 controllers " + String.join(",", needed),
                "no cgroup from ours (" + layout.ownV2() + ") up to the root delegates them: " + String.join("; ", tried));
    }

    static CgroupV2 create(Cgroups.Layout layout, CgroupLimits limits, String name) throws IOException {
        Base base = locate(layout, limits.controllers(), true);
        Path dir = base.dir().resolve(name);
        CgroupFiles.mkdir(dir);
        try {
            if (limits.memoryMax() != null) {
                CgroupFiles.write(dir.resolve("memory.max"), Long.toString(limits.memoryMax()));
                Path swap = dir.resolve("memory.swap.max");
                if (Files.exists(swap)) CgroupFiles.write(swap, "0");
            }
            if (limits.cpuQuotaMicros() != null) {
                CgroupFiles.write(dir.resolve("cpu.max"), limits.cpuQuotaMicros() + " " + limits.cpuPeriodMicros());
            }
            if (limits.pidsMax() != null) {
                CgroupFiles.write(dir.resolve("pids.max"), Long.toString(limits.pidsMax()));
            }
        } catch (IOException | RuntimeException e) {
            CgroupFiles.removeQuietly(dir, e);
            throw e;
        }
        return new CgroupV2(dir, Cgroups.hierarchyPath(base.mount(), dir));
    }

    private static Set<String> words(String text) {
        Set<String> s = new TreeSet<>();
        for (String w : text.trim().split("\\s+")) {
            if (!w.isEmpty()) s.add(w);
        }
        return s;
    }

    @Override
    public String describe() {
        return "cgroup v2 " + dir;
    }

    @Override
    public List<Path> directories() {
        return List.of(dir);
    }

    @Override
    public List<String> hierarchyPaths() {
        return List.of(hierarchyPath);
    }

    @Override
    public void attach(int pid) throws IOException {
        CgroupFiles.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
    }

    @Override
    public List<Integer> pids() throws IOException {
        return CgroupFiles.pids(dir);
    }

    @Override
    public synchronized boolean signalAll(int signal) throws IOException {
        if (destroyed || !Files.isDirectory(dir)) return false;
        Path kill = dir.resolve("cgroup.kill");
        try {
            if (signal == SIGKILL && Files.exists(kill)) {
                boolean populated = CgroupFiles.keyed(dir.resolve("cgroup.events"), "populated") != 0; // -1: unknown
                CgroupFiles.write(kill, "1");
                return populated;
            }
            if (!CgroupV2Freezer.available(dir)) return CgroupFiles.signalListed(dir, hierarchyPath, signal) > 0;
            if (CgroupFiles.keyed(dir.resolve("cgroup.events"), "populated") == 0) return false; // nobody to freeze
            CgroupV2Freezer.freeze(dir);
            try {
                return CgroupFiles.signalListed(dir, hierarchyPath, signal) > 0;
            } finally {
                CgroupV2Freezer.thaw(dir);
            }
        } catch (IOException e) {
            if (!Files.isDirectory(dir)) return false; // removed meanwhile (by someone else): nothing to signal
            throw e;
        }
    }

    @Override
    public boolean awaitEmpty(long deadlineNanos) throws IOException {
        if (!Files.isDirectory(dir)) return true;
        try {
            return CgroupEvents.awaitUnpopulated(dir, deadlineNanos);
        } catch (IOException e) {
            if (!Files.isDirectory(dir)) return true; // removed meanwhile: nothing can be in it
            throw e;
        }
    }

    @Override
    public boolean atomicSignals() {
        return Files.exists(dir.resolve("cgroup.kill")) || CgroupV2Freezer.available(dir);
    }

    @Override
    public long oomKills() {
        return CgroupFiles.keyed(dir.resolve("memory.events"), "oom_kill");
    }

    @Override
    public synchronized void destroy() throws IOException {
        if (destroyed) return;
        CgroupFiles.killAndRemove(dir, List.of(dir), this::killAll);
        destroyed = true;
    }

    @Override
    public String toString() {
        return describe();
    }
}
