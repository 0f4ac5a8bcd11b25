package io.procwarden.internal.tree;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.sys.ProcFs;
import io.procwarden.internal.sys.ProcStat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reaps the members of our cgroup trees that a subreaper JVM adopted and that died: once this
 * JVM is a child subreaper, a member of a cgroup tree whose parent dies is reparented to it, and
 * when it dies nobody else would reap it.
 *
 * <p>Exact: only a zombie child of ours whose {@code /proc/PID/cgroup} names the cgroup of a
 * tree registered here (inherited at fork, kept by a zombie), and which is not that tree's root
 * (the child we spawned, which the monitor reaps), is reaped, through a pidfd opened and checked
 * first (same start time, still a zombie, still ours). The JDK's children are never in those
 * cgroups, so they are never touched; neither are the members of a jail's own cgroup without
 * tree containment. v1 shows a zombie's cgroups as the root, so this works for v2 trees only:
 * in a JVM that mixes the subreaper rung with v1 trees (only when forced), adopted members of
 * the v1 trees stay zombies. A JVM becomes a subreaper only when the subreaper rung is used, so a
 * host with cgroups never mixes them unless told to.
 */
final class AdoptedZombies {
    private AdoptedZombies() {}

    private static final int SELF = Unistd.getpid();

    /** A tree's cgroup as /proc/PID/cgroup shows it, its root, and until when it counts (0: while it lives). */
    private record Entry(java.util.List<String> paths, int rootPid, long rootStart, long until) {}

    private static final java.util.Map<Object, Entry> TREES = new java.util.concurrent.ConcurrentHashMap<>();

    /** Registers a cgroup tree before its root joins the cgroup. */
    static void register(Object tree, java.util.List<String> hierarchyPaths, int rootPid, long rootStart) {
        TREES.put(tree, new Entry(java.util.List.copyOf(hierarchyPaths), rootPid, rootStart, 0));
    }

    /** The tree is gone; its members may still be dying for {@code drainNanos}. */
    static void unregister(Object tree, long drainNanos) {
        TREES.computeIfPresent(tree, (k, e) -> new Entry(e.paths(), e.rootPid(), e.rootStart(), System.nanoTime() + drainNanos));
    }

    /** One pass over this JVM's children; returns how many were reaped. */
    static int reapInOurCgroups() throws IOException {
        long now = System.nanoTime();
        TREES.values().removeIf(e -> e.until() != 0 && now - e.until() > 0);
        if (TREES.isEmpty()) return 0;
        int reaped = 0;
        for (int pid : DescendantWalk.children(SELF)) {
            Optional<ProcStat> st = stat(pid);
            if (st.isEmpty() || !st.get().hasExited() || !inATree(pid, st.get().startTime())) continue;
            Fd fd;
            try {
                fd = Pidfd.open(pid);
            } catch (SyscallException e) {
                if (e.errno() == Errno.ESRCH) continue; // reaped meanwhile
                throw new IOException("cannot pin adopted pid " + pid + ": " + e.getMessage(), e);
            }
            try (fd) {
                Optional<ProcStat> again = stat(pid);
                if (again.isEmpty() || again.get().startTime() != st.get().startTime() || again.get().ppid() != SELF) continue;
                Wait.waitidPidfd(fd, Wait.WNOHANG);
                reaped++;
            } catch (SyscallException e) {
                if (e.errno() != Errno.ECHILD) throw new IOException("cannot reap adopted pid " + pid + ": " + e.getMessage(), e);
            }
        }
        return reaped;
    }

    private static Optional<ProcStat> stat(int pid) {
        try {
            return ProcStat.read(pid);
        } catch (UncheckedIOException e) {
            return Optional.empty();
        }
    }

    private static boolean inATree(int pid, long start) {
        String text;
        try {
            text = new String(ProcFs.readFile(Path.of("/proc", Integer.toString(pid), "cgroup")), StandardCharsets.US_ASCII);
        } catch (SyscallException e) {
            return false;
        }
        for (Entry e : TREES.values()) {
            if (e.rootPid() == pid && e.rootStart() == start) continue; // the spawned child: the monitor's to reap
            for (String line : text.split("\n")) {
                int colon = line.indexOf(':', line.indexOf(':') + 1);
                if (colon < 0) continue;
                String path = line.substring(colon + 1);
                // A v2 cgroup removed meanwhile is shown so; v1 shows a zombie in the root, so only v2 trees count.
                if (path.endsWith(" (deleted)")) path = path.substring(0, path.length() - " (deleted)".length());
                if (e.paths().contains(path)) return true;
            }
        }
        return false;
    }
}
