package io.procwarden.internal.jail.cgroup;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.sys.ProcFs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Waits, by event, for a key of a v2 cgroup's {@code cgroup.events} ({@code populated 0/1},
 * {@code frozen 0/1}) to take a value. kernfs marks a change of the file for every open
 * descriptor that has read it: {@code epoll} then reports EPOLLPRI | EPOLLERR (level-triggered
 * until it is read again). So: open, read (which also arms the descriptor), check, wait; on a
 * change open again and repeat, so that no change between the read and the wait is lost.
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
        Path file = dir.resolve("cgroup.events");
        try (Fd epoll = Epoll.create(); Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Epoll.EVENT, 1);
            while (true) {
                try (Fd fd = open(file)) {
                    long v = parse(read(fd, file, arena), key);
                    if (v < 0) throw new IOException(file + " has no \"" + key + "\" key");
                    if (v == wanted) return true;
                    Epoll.ctl(epoll, Epoll.EPOLL_CTL_ADD, fd, Epoll.EPOLLPRI, 0);
                    try {
                        long left = deadlineNanos - System.nanoTime();
                        if (left <= 0) return false;
                        int millis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left) + 1);
                        Epoll.await(epoll, events, 1, millis); // a change, EINTR or the deadline: read again
                    } finally {
                        Epoll.ctl(epoll, Epoll.EPOLL_CTL_DEL, fd, 0, 0);
                    }
                }
            }
        } catch (SyscallException e) {
            throw new IOException("cannot wait for \"" + key + " " + wanted + "\" in " + file + ": " + e.getMessage(), e);
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
