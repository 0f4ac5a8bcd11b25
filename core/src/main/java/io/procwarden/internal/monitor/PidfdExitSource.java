package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Eventfd;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.io.EpollReadiness;
import io.procwarden.internal.io.PipeReadiness;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.LongConsumer;

/**
 * Linux: one pidfd per watched process, all in one epoll set, plus an eventfd to wake the loop.
 *
 * <p>A pidfd becomes readable when its process exits (zombie), child or not, and stays
 * readable; epoll is level-triggered, so a process that exits between {@code pidfd_open} and
 * {@code EPOLL_CTL_ADD} is still reported by the next {@code epoll_wait}: no race window.
 * For our children {@code waitid(P_PIDFD)} then reaps through the same descriptor, so we can
 * never reap a different process that reused the pid.
 *
 * <p>Kernel: pidfd_open 5.3, waitid(P_PIDFD) 5.4, epoll and eventfd 2.6.
 */
final class PidfdExitSource implements ExitSource {
    private static final System.Logger LOG = System.getLogger(PidfdExitSource.class.getName());
    private static final long WAKE_KEY = 0;
    private static final int MAX_EVENTS = 256;

    private final Fd epoll;
    private final PipeReadiness pipes;
    private final Fd wake;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events;
    private final MemorySegment counter;

    PidfdExitSource() throws SyscallException {
        Fd ep = Epoll.create();
        Fd ev = null;
        boolean ok = false;
        try {
            ev = Eventfd.create();
            Epoll.ctl(ep, Epoll.EPOLL_CTL_ADD, ev, Epoll.EPOLLIN, WAKE_KEY);
            ok = true;
        } finally {
            if (!ok) {
                if (ev != null) ev.close();
                ep.close();
                arena.close();
            }
        }
        this.epoll = ep;
        this.pipes = new EpollReadiness(ep);
        this.wake = ev;
        this.events = arena.allocate(Epoll.EVENT, MAX_EVENTS);
        this.counter = arena.allocate(8, 8);
    }

    @Override
    public ExitBackend backend() {
        return ExitBackend.PIDFD;
    }

    @Override
    public Opened open(int pid, long key) throws SyscallException {
        Fd pidfd;
        try {
            pidfd = Pidfd.open(pid);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ESRCH) {
                return new Ended(ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
            }
            throw e;
        }
        try {
            // One call tells our live child (null), our exited child (reaped now, with its
            // status) and anyone else's process apart: here ECHILD means "not our child".
            Wait.Reaped reaped = Wait.waitidPidfd(pidfd, Wait.WNOHANG);
            if (reaped != null) {
                pidfd.close();
                return new Ended(reaped);
            }
            return new Live(new Registration(key, pid, true, pidfd, -1));
        } catch (SyscallException e) {
            if (e.errno() == Errno.ECHILD) {
                return new Live(new Registration(key, pid, false, pidfd, -1));
            }
            pidfd.close();
            throw e;
        }
    }

    @Override
    public Registration adoptChild(int pid, Fd pidfd, long key) {
        if (pidfd == null) {
            throw new IllegalArgumentException("the pidfd backend needs the child's pidfd (pid " + pid + ")");
        }
        return new Registration(key, pid, true, pidfd, -1);
    }

    @Override
    public Wait.Reaped arm(Registration r) throws SyscallException {
        Epoll.ctl(epoll, Epoll.EPOLL_CTL_ADD, r.pidfd, Epoll.EPOLLIN, r.key);
        return null;
    }

    @Override
    public void await(long timeoutNanos, LongConsumer ready) throws SyscallException {
        int millis = timeoutNanos < 0 ? -1
                : (int) Math.min(Integer.MAX_VALUE, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999));
        int n = Epoll.await(epoll, events, MAX_EVENTS, millis);
        for (int i = 0; i < n; i++) {
            long key = Epoll.dataAt(events, i);
            if (key == WAKE_KEY) {
                Eventfd.drain(wake, counter);
            } else {
                ready.accept(key);
            }
        }
    }

    @Override
    public Wait.Reaped collect(Registration r) throws SyscallException {
        if (!r.child) {
            return ExitSource.unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD);
        }
        return r.reap(() -> Wait.waitidPidfd(r.pidfd, Wait.WNOHANG));
    }

    @Override
    public boolean detachForCaller(Registration r) throws SyscallException {
        if (r.pidfd == null || !r.child) return false;
        try {
            Epoll.ctl(epoll, Epoll.EPOLL_CTL_DEL, r.pidfd, 0, 0);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ENOENT) throw e; // ENOENT: not armed now; nothing to stop
        }
        return true;
    }

    @Override
    public void disarm(Registration r) {
        // EPOLL_CTL_DEL before the pidfd is closed: a concurrent posix_spawn may briefly hold a
        // copy of it, which would keep the epoll registration alive and fire it again later.
        try {
            Epoll.ctl(epoll, Epoll.EPOLL_CTL_DEL, r.pidfd, 0, 0);
        } catch (SyscallException e) {
            // ENOENT: not in the set (never armed, or detached for a caller). Anything else is a bug.
            if (e.errno() != Errno.ENOENT) {
                LOG.log(System.Logger.Level.WARNING, e.getMessage());
            }
        }
    }

    @Override
    public PipeReadiness pipeReadiness() {
        return pipes;
    }

    @Override
    public void wakeup() {
        Eventfd.wake(wake); // nothing once the loop has stopped and closed it
    }

    @Override
    public void close() {
        wake.close();
        epoll.close();
        arena.close();
    }
}
