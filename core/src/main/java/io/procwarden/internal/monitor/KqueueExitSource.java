package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Kqueue;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.io.KqueueReadiness;
import io.procwarden.internal.io.PipeReadiness;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * macOS and the BSDs: one kqueue with an {@code EVFILT_PROC}/{@code NOTE_EXIT} filter per
 * watched process (any visible pid, child or not) and an {@code EVFILT_USER} filter to wake
 * the loop. For children {@code NOTE_EXITSTATUS} also asks for the wait status; we still reap
 * with {@code wait4}, which gives the resource usage and removes the zombie.
 *
 * <p>Filters are one-shot: the kernel removes one when it fires. {@link #inKernel} holds the
 * registrations whose filter is still there, so that EV_DELETE never hits a filter that a
 * later registration of the same (reused) pid added.
 *
 * <p>Not run on Linux: this compiles everywhere and its marshalling is unit-tested there; the
 * contract tests run it on macOS.
 */
final class KqueueExitSource implements ExitSource {
    private static final long WAKE_IDENT = 0;
    private static final int MAX_EVENTS = 256;

    private final Fd kq;
    private final PipeReadiness pipes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events;
    private final Set<Registration> inKernel = ConcurrentHashMap.newKeySet();

    KqueueExitSource() throws SyscallException {
        Fd k = Kqueue.create();
        boolean ok = false;
        try {
            int err = Kqueue.change(k, WAKE_IDENT, Kqueue.EVFILT_USER, (short) (Kqueue.EV_ADD | Kqueue.EV_CLEAR), 0, 0);
            if (err != 0) throw Errno.exception("kevent(EVFILT_USER, EV_ADD)", err);
            ok = true;
        } finally {
            if (!ok) {
                k.close();
                arena.close();
            }
        }
        this.kq = k;
        this.pipes = new KqueueReadiness(k);
        this.events = arena.allocate(Kqueue.KEVENT, MAX_EVENTS);
    }

    @Override
    public ExitBackend backend() {
        return ExitBackend.KQUEUE;
    }

    @Override
    public Opened open(int pid, long key) throws SyscallException {
        return PidProbe.open(pid, key);
    }

    @Override
    public Registration adoptChild(int pid, Fd pidfd, long key) {
        return new Registration(key, pid, true, pidfd, -1);
    }

    @Override
    public Wait.Reaped arm(Registration r) throws SyscallException {
        int fflags = Kqueue.NOTE_EXIT | (r.child ? Kqueue.NOTE_EXITSTATUS : 0);
        inKernel.add(r); // before EV_ADD: the filter may fire (and be collected) at once
        int err;
        try {
            err = Kqueue.change(kq, r.pid, Kqueue.EVFILT_PROC, (short) (Kqueue.EV_ADD | Kqueue.EV_ONESHOT), fflags, r.key);
        } catch (SyscallException | RuntimeException e) {
            inKernel.remove(r);
            throw e;
        }
        if (err == 0) {
            return null;
        }
        inKernel.remove(r);
        if (err != Errno.ESRCH) {
            throw Errno.exception("kevent(EVFILT_PROC, EV_ADD, " + r.pid + ")", err);
        }
        // It existed when opened and exited before EV_ADD: report it now (the race guard).
        return r.child
                ? PidProbe.reapChild(r, 0)
                : ExitSource.unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD);
    }

    @Override
    public void await(long timeoutNanos, LongConsumer ready) throws SyscallException {
        int n = Kqueue.await(kq, events, MAX_EVENTS, timeoutNanos);
        for (int i = 0; i < n; i++) {
            short filter = Kqueue.filterAt(events, i);
            if (filter == Kqueue.EVFILT_PROC || filter == Kqueue.EVFILT_READ || filter == Kqueue.EVFILT_WRITE) {
                ready.accept(Kqueue.udataAt(events, i)); // pipe filters carry their pipe key
            }
        }
    }

    @Override
    public PipeReadiness pipeReadiness() {
        return pipes;
    }

    @Override
    public Wait.Reaped collect(Registration r) throws SyscallException {
        inKernel.remove(r); // EV_ONESHOT: the kernel removed the filter when it fired
        if (!r.child) {
            return ExitSource.unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD);
        }
        // NOTE_EXIT fires as the process exits; a blocking wait4 on it returns at once.
        return PidProbe.reapChild(r, 0);
    }

    @Override
    public void disarm(Registration r) {
        if (!inKernel.remove(r)) return;
        try {
            Kqueue.change(kq, r.pid, Kqueue.EVFILT_PROC, Kqueue.EV_DELETE, 0, 0); // ENOENT/ESRCH: already gone
        } catch (SyscallException e) {
            System.getLogger(KqueueExitSource.class.getName()).log(System.Logger.Level.WARNING, e.getMessage());
        }
    }

    @Override
    public void wakeup() {
        if (!kq.isOpen()) return;
        try {
            Kqueue.change(kq, WAKE_IDENT, Kqueue.EVFILT_USER, (short) 0, Kqueue.NOTE_TRIGGER, 0);
        } catch (SyscallException e) {
            throw new IllegalStateException("cannot wake the monitor: " + e.getMessage(), e);
        } catch (IllegalStateException closedMeanwhile) {
            // the loop stopped between the check and the call
        }
    }

    @Override
    public void close() {
        inKernel.clear();
        kq.close();
        arena.close();
    }
}
