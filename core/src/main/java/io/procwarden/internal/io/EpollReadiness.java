package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;

/**
 * Pipe readiness in an epoll set (Linux): {@code EPOLLONESHOT}, re-armed with
 * {@code EPOLL_CTL_MOD}; the first arm adds the descriptor. Level-triggered underneath, so an
 * arm on a pipe that is already ready is reported at the next {@code epoll_wait}.
 */
public final class EpollReadiness implements PipeReadiness {
    private static final System.Logger LOG = System.getLogger(EpollReadiness.class.getName());
    private final Fd epoll;

    /** Uses {@code epoll}, owned by the caller (the loop's exit source). */
    public EpollReadiness(Fd epoll) {
        this.epoll = epoll;
    }

    @Override
    public void arm(Fd fd, boolean write, long key, boolean first) throws SyscallException {
        set(fd, (write ? Epoll.EPOLLOUT : Epoll.EPOLLIN) | Epoll.EPOLLONESHOT, key, first);
    }

    @Override
    public void watch(Fd fd, boolean write, long key, boolean first) throws SyscallException {
        set(fd, write ? Epoll.EPOLLOUT : Epoll.EPOLLIN, key, first);
    }

    @Override
    public void pause(Fd fd, boolean write, long key) throws SyscallException {
        set(fd, Epoll.EPOLLONESHOT, key, false); // no IN/OUT: only a hang-up or error, once
    }

    private void set(Fd fd, int events, long key, boolean first) throws SyscallException {
        int op = first ? Epoll.EPOLL_CTL_ADD : Epoll.EPOLL_CTL_MOD;
        try {
            Epoll.ctl(epoll, op, fd, events, key);
        } catch (SyscallException e) {
            // Our bookkeeping raced another thread's first call (EEXIST), or none was made (ENOENT).
            if (e.errno() == (first ? Errno.EEXIST : Errno.ENOENT)) {
                Epoll.ctl(epoll, first ? Epoll.EPOLL_CTL_MOD : Epoll.EPOLL_CTL_ADD, fd, events, key);
            } else {
                throw e;
            }
        }
    }

    @Override
    public void forget(Fd fd, boolean write) {
        // EPOLL_CTL_DEL before close: a concurrent posix_spawn may hold a copy of the descriptor,
        // which would keep the registration alive after our close.
        try {
            Epoll.ctl(epoll, Epoll.EPOLL_CTL_DEL, fd, 0, 0);
        } catch (SyscallException e) {
            if (e.errno() != Errno.ENOENT) LOG.log(System.Logger.Level.WARNING, e.getMessage()); // ENOENT: never armed
        } catch (IllegalStateException closed) {
            // the descriptor or the epoll set is closed already: nothing is registered any more
        }
    }
}
