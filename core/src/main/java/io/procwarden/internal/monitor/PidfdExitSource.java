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
 * <p>Every other process ({@link #open}: whatever {@code watch(pid)} names, children of this
 * JVM included) is observed, never reaped ({@link ObservedExit}). When one is dead but its parent
 * has not reaped it yet, its interest becomes EPOLLHUP only ({@code EPOLL_CTL_MOD} with no events:
 * epoll always reports hang-ups), which fires when it is reaped; {@link #await} then also wakes
 * for the first {@link ReapWait} deadline.
 *
 * <p>Kernel: pidfd_open 5.3, waitid(P_PIDFD) 5.4, epoll and eventfd 2.6; PIDFD_INFO_EXIT 6.15.
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
    private final ReapWait reapWait = ReapWait.withConfiguredBound(); // loop thread only

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
        ObservedExit.prepare();
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

    /**
     * Opens a pidfd for a process to observe: never ours, whoever its parent is (children we
     * spawned come through {@link #adoptChild}). Nothing is reaped or waited for here: a process
     * that is dead already is reported by the first {@code epoll_wait} (level-triggered).
     */
    @Override
    public Opened open(int pid, long key) throws SyscallException {
        Fd pidfd;
        try {
            pidfd = Pidfd.open(pid);
        } catch (SyscallException e) {
            // A thread id that is not a process: EINVAL (turned into ESRCH by Pidfd.open) or, on
            // newer kernels, ENOENT. Named as such; otherwise both mean the process is gone.
            if (e.errno() == Errno.ESRCH || e.errno() == Errno.ENOENT) {
                PidProbe.rejectThread(pid);
                return new Ended(ExitSource.unknown(ExitStatus.UnknownReason.NO_SUCH_PROCESS));
            }
            throw e;
        }
        return new Live(new Registration(key, pid, false, pidfd, -1));
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
        int pipes = timeoutNanos < 0 ? -1
                : (int) Math.min(Integer.MAX_VALUE, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999));
        int reap = reapWait.millisToNext(System.nanoTime());
        // The sooner of the loop's drain timers and the reap-wait bound; -1 means none.
        int millis = pipes < 0 ? reap : reap < 0 ? pipes : Math.min(pipes, reap);
        int n = Epoll.await(epoll, events, MAX_EVENTS, millis);
        for (int i = 0; i < n; i++) {
            long key = Epoll.dataAt(events, i);
            if (key == WAKE_KEY) {
                Eventfd.drain(wake, counter);
            } else {
                ready.accept(key);
            }
        }
        // Dead processes whose parent has not reaped them within the bound: collect() ends them.
        for (Registration r : reapWait.due(System.nanoTime())) {
            ready.accept(r.key);
        }
    }

    @Override
    public Wait.Reaped collect(Registration r) throws SyscallException {
        if (!r.child) {
            return ObservedExit.look(r, reapWait, System.nanoTime(), this::awaitHangUp);
        }
        return r.reap(() -> Wait.waitidPidfd(r.pidfd, Wait.WNOHANG));
    }

    /** Loop thread: the process is a zombie; from now on only its reap (EPOLLHUP) is reported. */
    private void awaitHangUp(Registration r) throws SyscallException {
        Epoll.ctl(epoll, Epoll.EPOLL_CTL_MOD, r.pidfd, 0, r.key);
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
        reapWait.forget(r);
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
        reapWait.clear();
        wake.close();
        epoll.close();
        arena.close();
    }
}
