package io.procwarden.internal.tree;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.sys.ProcFs;
import io.procwarden.internal.sys.ProcStat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One step of a walk down a process tree without cgroups: who a process's children are
 * ({@code /proc/PID/task/TID/children}, Linux 3.5 with CONFIG_PROC_CHILDREN: the children of
 * each thread), and pinning one of them so that it is never confused with a later process that
 * gets the same pid.
 *
 * <p>A pin is exact: open a pidfd of the listed pid, read its {@code /proc/PID/stat}, then check
 * that the parent (whose pidfd we hold) is still alive: its pid was then not reused, so the
 * listed child was its child when read. Zombie children are pinned as well: a parent that dies
 * without reaping them hands them to us.
 */
final class DescendantWalk {
    private DescendantWalk() {}

    /** A process pinned by a pidfd, with the start time that identifies it by pid later. */
    record Pinned(int pid, Fd pidfd, long startTime) {}

    /** The children of every thread of {@code pid}; empty once the process is gone. */
    static List<Integer> children(int pid) throws IOException {
        Path task = Path.of("/proc", Integer.toString(pid), "task");
        List<Integer> out = new ArrayList<>();
        List<Path> threads = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(task)) {
            for (Path t : ds) threads.add(t);
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            if (!Files.exists(task)) return out;
            throw new IOException("cannot list " + task + ": " + e.getMessage(), e);
        }
        for (Path t : threads) {
            String text;
            try {
                text = new String(ProcFs.readFile(t.resolve("children")), StandardCharsets.US_ASCII);
            } catch (SyscallException e) {
                if (e.errno() == Errno.ENOENT || e.errno() == Errno.ESRCH) continue; // the thread ended
                throw new IOException("cannot read " + t.resolve("children") + ": " + e.getMessage(), e);
            }
            for (String w : text.trim().split("\\s+")) {
                if (!w.isEmpty()) out.add(Integer.parseInt(w));
            }
        }
        return out;
    }

    /**
     * Pins {@code child}, listed as a child of {@code parent}.
     *
     * @return the pin, or null when it is not (or no longer) provably the parent's child (alive
     *     or a zombie): gone, reparented, or the parent died meanwhile (then its pid could name
     *     another process)
     */
    static Pinned pin(int child, int parent, Fd parentPidfd) throws IOException {
        Fd fd;
        try {
            fd = Pidfd.open(child);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ESRCH) return null;
            throw new IOException("cannot pin pid " + child + " (child of " + parent + "): " + e.getMessage(), e);
        }
        boolean kept = false;
        try {
            // A zombie child is pinned too: when its parent dies unreaped it comes to us, to be reaped.
            Optional<ProcStat> st = ProcStat.read(child);
            if (st.isEmpty() || st.get().ppid() != parent) return null;
            if (Pidfd.hasExited(parentPidfd)) return null;
            kept = true;
            return new Pinned(child, fd, st.get().startTime());
        } catch (java.io.UncheckedIOException e) {
            throw new IOException("cannot read /proc/" + child + "/stat: " + e.getMessage(), e);
        } finally {
            if (!kept) fd.close();
        }
    }
}
