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
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * macOS and the BSDs: one kqueue with an {@code EVFILT_PROC}/{@code NOTE_EXIT} filter per
 * watched process (any visible pid, child or not) and an {@code EVFILT_USER} filter to wake
 * the loop. For our children {@code NOTE_EXITSTATUS} also asks for the wait status; we still reap
 * with {@code wait4}, which gives the resource usage and removes the zombie.
 *
 * <p>What can be known without reaping: XNU grants {@code NOTE_EXITSTATUS} to the parent only
 * (EACCES otherwise), and then puts the wait status in the event's {@code data} at exit, without
 * reaping. So a watched child of this JVM that is not ours (the JDK's) gets its exact status from
 * the event, and its owner still reaps it. For anyone else's process macOS keeps nothing after
 * the reap (there is no PIDFD_INFO_EXIT): {@code Unknown(NOT_OUR_CHILD)}, reported at its death.
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
    /** Wait statuses delivered with NOTE_EXITSTATUS for processes that are not ours, by key (loop thread). */
    private final Map<Long, ExitStatus> delivered = new HashMap<>();

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
        inKernel.add(r); // before EV_ADD: the filter may fire (and be collected) at once
        int err;
        try {
            // Asked for every process: granted for children of this JVM, ours or not.
            err = add(r, Kqueue.NOTE_EXIT | Kqueue.NOTE_EXITSTATUS);
            if (err == Errno.EACCES && !r.child) err = add(r, Kqueue.NOTE_EXIT); // not a child of this JVM
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

    private int add(Registration r, int fflags) throws SyscallException {
        return Kqueue.change(kq, r.pid, Kqueue.EVFILT_PROC, (short) (Kqueue.EV_ADD | Kqueue.EV_ONESHOT), fflags, r.key);
    }

    @Override
    public void await(long timeoutNanos, LongConsumer ready) throws SyscallException {
        int n = Kqueue.await(kq, events, MAX_EVENTS, timeoutNanos);
        for (int i = 0; i < n; i++) {
            short filter = Kqueue.filterAt(events, i);
            long key = Kqueue.udataAt(events, i); // pipe filters carry their pipe key
            if (filter == Kqueue.EVFILT_PROC) {
                exitStatusOf(Kqueue.fflagsAt(events, i), Kqueue.dataAt(events, i)).ifPresent(s -> delivered.put(key, s));
            }
            if (filter == Kqueue.EVFILT_PROC || filter == Kqueue.EVFILT_READ || filter == Kqueue.EVFILT_WRITE) {
                ready.accept(key);
            }
        }
    }

    /**
     * The wait status a fired EVFILT_PROC event carries: present only when the kernel granted
     * NOTE_EXITSTATUS (it sets that bit in the returned fflags), which it does for its parent.
     */
    static Optional<ExitStatus> exitStatusOf(int fflags, long data) {
        if ((fflags & Kqueue.NOTE_EXIT) == 0 || (fflags & Kqueue.NOTE_EXITSTATUS) == 0) return Optional.empty();
        return Optional.of(Wait.decodeWaitStatus((int) (data & NOTE_PDATAMASK)));
    }

    /** XNU's NOTE_PDATAMASK: the low 20 bits of data hold the status. */
    static final long NOTE_PDATAMASK = 0x000fffffL;

    @Override
    public PipeReadiness pipeReadiness() {
        return pipes;
    }

    @Override
    public Wait.Reaped collect(Registration r) throws SyscallException {
        inKernel.remove(r); // EV_ONESHOT: the kernel removed the filter when it fired
        ExitStatus status = delivered.remove(r.key);
        if (!r.child) {
            // A child of this JVM that is not ours: the event's status; its owner reaps it.
            return status != null ? new Wait.Reaped(status, null) : ExitSource.unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD);
        }
        // NOTE_EXIT fires as the process exits; a blocking wait4 on it returns at once.
        return PidProbe.reapChild(r, 0);
    }

    @Override
    public void disarm(Registration r) {
        delivered.remove(r.key);
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
        delivered.clear();
        kq.close();
        arena.close();
    }
}
