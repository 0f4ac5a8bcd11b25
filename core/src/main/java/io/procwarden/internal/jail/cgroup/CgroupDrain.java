package io.procwarden.internal.jail.cgroup;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Waits, by event, until the processes of a cgroup have exited, so that its directory can be
 * removed: one pidfd per listed member, all in one epoll set.
 *
 * <p>A process leaves its cgroup in do_exit before it becomes a zombie, and its pidfd turns
 * readable only when it becomes a zombie; so once every member's pidfd is readable the kernel
 * no longer counts them (whoever reaps them, and when, does not matter).
 */
final class CgroupDrain {
    private CgroupDrain() {}

    /**
     * Waits until every process listed in {@code dir/cgroup.procs} has exited, or the deadline
     * passes.
     *
     * @return false if there was nothing to wait for (no member listed), or the kernel refuses
     *     pidfds: the caller must then wait some other way
     */
    static boolean awaitMembersExit(Path dir, long deadlineNanos) throws IOException {
        List<Fd> pidfds = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            List<Integer> listed = CgroupFiles.pids(dir);
            List<Integer> opened = new ArrayList<>();
            for (int pid : listed) {
                try {
                    pidfds.add(Pidfd.open(pid));
                    opened.add(pid);
                } catch (SyscallException e) {
                    if (e.errno() == Errno.ESRCH) continue; // exited and reaped already
                    if (Errno.meansUnsupported(e.errno())) return false;
                    throw e;
                }
            }
            // A listed pid could have exited and been reused by a stranger before we opened it;
            // one still listed after the open was a member when opened (pidfds follow the process).
            Set<Integer> still = new HashSet<>(CgroupFiles.pids(dir));
            Fd epoll = Epoll.create();
            pidfds.add(epoll);
            int waiting = 0;
            for (int i = 0; i < opened.size(); i++) {
                if (!still.contains(opened.get(i))) continue;
                Epoll.ctl(epoll, Epoll.EPOLL_CTL_ADD, pidfds.get(i), Epoll.EPOLLIN, i);
                waiting++;
            }
            if (waiting == 0) return false;
            MemorySegment events = arena.allocate(Epoll.EVENT, 64);
            while (waiting > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) return true; // the caller reports what is still there
                int millis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left) + 1);
                int n = Epoll.await(epoll, events, 64, millis);
                for (int k = 0; k < n; k++) {
                    int i = (int) Epoll.dataAt(events, k);
                    Epoll.ctl(epoll, Epoll.EPOLL_CTL_DEL, pidfds.get(i), 0, 0); // level-triggered: once is enough
                    waiting--;
                }
            }
            return true;
        } finally {
            for (Fd fd : pidfds) fd.close();
        }
    }
}
