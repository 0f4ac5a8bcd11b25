package io.procwarden.internal.jail.cgroup;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.sys.ProcFs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Waits, by event, for a key of a v2 cgroup's {@code cgroup.events} ({@code populated 0/1},
 * {@code frozen 0/1}) to take a value. kernfs marks a change of the file for every open
 * descriptor that has read it: {@code epoll} then reports EPOLLPRI | EPOLLERR (level-triggered
 * until it is read again). So: open, read (which also arms the descriptor), check, wait; on a
 * change open again and repeat, so that no change between the read and the wait is lost.
 *
 * <p>kernfs rate-limits a cgroup file's notifications (CGROUP_FILE_NOTIFY_MIN_INTV, 10 ms): a
 * change within 10 ms of the previous notification is announced only when that time is up,
 * although the file already shows it. So the wait also reads the file again after 1, 2, 4 and
 * then every 8 ms, and emptiness is also cued by the members' pidfds.
 *
 * <p>{@code populated} turns 0 when the last process of the cgroup (and of its descendants) has
 * left it, in {@code do_exit} before it becomes a zombie; {@code frozen} turns 1 when every task
 * of the cgroup is frozen (Linux 5.2).
 */
final class CgroupEvents {
    private CgroupEvents() {}

    /** The value of {@code key} in {@code dir/cgroup.events} now, or -1 when the key is absent. */
    static long value(Path dir, String key) throws IOException {
        return parse(CgroupFiles.read(dir.resolve("cgroup.events")), key);
    }

    /**
     * Waits until {@code key} has {@code wanted} in {@code dir/cgroup.events}, or the deadline.
     *
     * @return true once it has the value; false when the deadline passed first
     * @throws IOException naming the file when it cannot be opened or read (the cgroup was removed),
     *     or the key is absent (a kernel without it)
     */
    static boolean await(Path dir, String key, long wanted, long deadlineNanos) throws IOException {
        return await(dir, key, wanted, deadlineNanos, false);
    }

    /**
     * Waits until the cgroup at {@code dir} has no process left ({@code populated 0}), or the
     * deadline. kernfs rate-limits a cgroup file's notifications to one per 10 ms
     * (CGROUP_FILE_NOTIFY_MIN_INTV), so the listed members' pidfds are in the same epoll set: a
     * member leaves the cgroup before its pidfd turns readable, so each exit is also a cue to read
     * the file again, without waiting for the delayed notification.
     */
    static boolean awaitUnpopulated(Path dir, long deadlineNanos) throws IOException {
        return await(dir, "populated", 0, deadlineNanos, true);
    }

    private static boolean await(Path dir, String key, long wanted, long deadlineNanos, boolean members) throws IOException {
        Path file = dir.resolve("cgroup.events");
        Map<Integer, Fd> pinned = new HashMap<>();
        try (Fd epoll = Epoll.create(); Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Epoll.EVENT, 16);
            int pause = 1;
            while (true) {
                try (Fd fd = open(file)) {
                    long v = parse(read(fd, file, arena), key);
                    if (v < 0) throw new IOException(file + " has no \"" + key + "\" key");
                    if (v == wanted) return true;
                    if (members) pinMembers(dir, epoll, pinned);
                    Epoll.ctl(epoll, Epoll.EPOLL_CTL_ADD, fd, Epoll.EPOLLPRI, -1);
                    try {
                        long left = deadlineNanos - System.nanoTime();
                        if (left <= 0) return false;
                        // sleep-ok: kernfs holds a notification back for up to 10 ms after the previous one
                        // (often the populated change of the attach itself), while the value is already
                        // current: so the wait also ends after 1, 2, 4, 8 ms to read it again.
                        int millis = (int) Math.min(pause, TimeUnit.NANOSECONDS.toMillis(left) + 1);
                        pause = Math.min(pause * 2, 8);
                        int n = Epoll.await(epoll, events, 16, millis); // a change, an exit, EINTR, a re-read or the deadline
                        for (int i = 0; i < n; i++) {
                            Fd exited = pinned.get((int) Epoll.dataAt(events, i));
                            // level-triggered: an exited member is taken out (its entry stays, so it is not pinned again)
                            if (exited != null && exited.isOpen()) {
                                Epoll.ctl(epoll, Epoll.EPOLL_CTL_DEL, exited, 0, 0);
                                exited.close();
                            }
                        }
                    } finally {
                        Epoll.ctl(epoll, Epoll.EPOLL_CTL_DEL, fd, 0, 0);
                    }
                }
            }
        } catch (SyscallException e) {
            throw new IOException("cannot wait for \"" + key + " " + wanted + "\" in " + file + ": " + e.getMessage(), e);
        } finally {
            for (Fd fd : pinned.values()) fd.close();
        }
    }

    /** Adds a pidfd of each listed member not seen yet to the epoll set (a member gone already is skipped). */
    private static void pinMembers(Path dir, Fd epoll, Map<Integer, Fd> pinned) throws IOException {
        for (int pid : CgroupFiles.pids(dir)) {
            if (pinned.containsKey(pid)) continue;
            Fd fd;
            try {
                fd = Pidfd.open(pid);
            } catch (SyscallException e) {
                if (e.errno() == Errno.ESRCH || Errno.meansUnsupported(e.errno())) continue; // gone, or no pidfds: the event alone
                throw e;
            }
            pinned.put(pid, fd);
            Epoll.ctl(epoll, Epoll.EPOLL_CTL_ADD, fd, Epoll.EPOLLIN, pid);
        }
    }

    private static Fd open(Path file) throws IOException {
        try {
            return Unistd.open(file.toString(), Unistd.O_RDONLY | Unistd.O_CLOEXEC, 0);
        } catch (SyscallException e) {
            throw new IOException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    /** One read(2) from the start: the whole file (it is a few dozen bytes), and the descriptor armed. */
    private static String read(Fd fd, Path file, Arena arena) throws IOException {
        MemorySegment buf = arena.allocate(512);
        try {
            long n = Unistd.read(fd, buf, buf.byteSize());
            return new String(buf.asSlice(0, Math.max(0, n)).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
        } catch (SyscallException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static long parse(String text, String key) {
        for (String line : text.split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[0].equals(key)) return Long.parseLong(kv[1]);
        }
        return -1;
    }

    /** For messages: the whole file, or why it cannot be read. */
    static String describe(Path dir) {
        try {
            return new String(ProcFs.readFile(dir.resolve("cgroup.events")), StandardCharsets.US_ASCII).trim().replace('\n', ',');
        } catch (SyscallException e) {
            return e.getMessage();
        }
    }
}
