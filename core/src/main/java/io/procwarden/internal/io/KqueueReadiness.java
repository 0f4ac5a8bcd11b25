package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Kqueue;

/**
 * Pipe readiness in a kqueue (macOS, BSD): {@code EVFILT_READ} or {@code EVFILT_WRITE} with
 * {@code EV_ONESHOT}, added again for every arm. Compiles and loads everywhere; runs on macOS.
 */
public final class KqueueReadiness implements PipeReadiness {
    private static final System.Logger LOG = System.getLogger(KqueueReadiness.class.getName());
    private final Fd kq;

    /** Uses {@code kq}, owned by the caller. */
    public KqueueReadiness(Fd kq) {
        this.kq = kq;
    }

    @Override
    public void arm(Fd fd, boolean write, long key, boolean first) throws SyscallException {
        change(fd, write, (short) (Kqueue.EV_ADD | Kqueue.EV_ONESHOT), key);
    }

    @Override
    public void watch(Fd fd, boolean write, long key, boolean first) throws SyscallException {
        change(fd, write, Kqueue.EV_ADD, key); // level-triggered unless EV_CLEAR
    }

    @Override
    public void pause(Fd fd, boolean write, long key) throws SyscallException {
        forget(fd, write);
    }

    private void change(Fd fd, boolean write, short flags, long key) throws SyscallException {
        int n = fd.acquire();
        try {
            int err = Kqueue.change(kq, n, filter(write), flags, 0, key);
            if (err != 0) throw Errno.exception("kevent(" + (write ? "EVFILT_WRITE" : "EVFILT_READ") + ", " + fd + ")", err);
        } finally {
            fd.release();
        }
    }

    @Override
    public void forget(Fd fd, boolean write) {
        try {
            int n = fd.acquire();
            try {
                Kqueue.change(kq, n, filter(write), Kqueue.EV_DELETE, 0, 0); // ENOENT: not armed now
            } finally {
                fd.release();
            }
        } catch (SyscallException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        } catch (IllegalStateException closed) {
            // closing the descriptor removed its filters
        }
    }

    static short filter(boolean write) {
        return write ? Kqueue.EVFILT_WRITE : Kqueue.EVFILT_READ;
    }
}
