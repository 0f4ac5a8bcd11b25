package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.io.PipeHub;
import io.procwarden.internal.io.PipeReadiness;
import java.util.function.LongConsumer;

/**
 * A way of learning that processes exited: pidfd + epoll, kqueue, or polling. The monitor
 * loop owns one and drives it from its single thread; only {@link #open}, {@link #adoptChild},
 * {@link #arm}, {@link #detachForCaller} and {@link #wakeup} are called from other threads.
 *
 * <p>The source owns the wait ({@link #await}) and reports ready keys; the loop owns the map
 * from key to what it stands for and dispatches. Each backend keeps its own bookkeeping of
 * what is in the kernel (epoll set, kqueue filters, the polling rounds): a {@link Registration}
 * carries only what identifies the process, and its state machine.
 */
interface ExitSource extends AutoCloseable {

    ExitBackend backend();

    /** The outcome for a process whose status we cannot know (not our child, gone, reaped elsewhere). */
    static Wait.Reaped unknown(ExitStatus.UnknownReason reason) {
        return new Wait.Reaped(new ExitStatus.Unknown(reason), null);
    }

    /** What {@link #open} found. */
    sealed interface Opened permits Live, Ended {}

    /** The process is alive (or a zombie not yet reported): watch it. */
    record Live(Registration registration) implements Opened {}

    /** The outcome is already known (no such process, or our child had exited and was reaped now). */
    record Ended(Wait.Reaped outcome) implements Opened {}

    /**
     * Starts watching {@code pid} (caller's thread, under the loop lock): opens what the
     * mechanism needs and finds out whether the process is our child.
     */
    Opened open(int pid, long key) throws SyscallException;

    /** A registration for a child we just spawned; {@code pidfd} may be null (then by pid). */
    Registration adoptChild(int pid, Fd pidfd, long key);

    /**
     * Starts delivering readiness for the registration (any thread, under the registration's
     * lock: {@link Registration#arm}). Returns the outcome at once when arming finds the process
     * already gone (kqueue's ESRCH), else null.
     */
    Wait.Reaped arm(Registration registration) throws SyscallException;

    /**
     * Loop thread: blocks until something is ready, {@link #wakeup()}, or {@code timeoutNanos}
     * pass (negative: no limit; the pipes' drain timers set it); reports ready keys, pipe keys
     * ({@link PipeHub#isPipeKey}) included.
     */
    void await(long timeoutNanos, LongConsumer ready) throws SyscallException;

    /** Where pipe ends arm their one-shot readiness: the same epoll set or kqueue this source waits on. */
    PipeReadiness pipeReadiness();

    /** Loop thread: how a ready process ended (reaping our child), or null if it has not yet. */
    Wait.Reaped collect(Registration registration) throws SyscallException;

    /**
     * Loop thread: stops delivering readiness for the registration (EPOLL_CTL_DEL, EV_DELETE) and
     * forgets it; called once per registration, when the loop releases it. Does not close the
     * registration's pidfd: the loop does that, after this.
     */
    void disarm(Registration registration);

    /**
     * Any thread, under the registration's lock: stops delivering readiness for a registration
     * whose waiter will block on its pidfd itself ({@link CallerReap}); {@link #arm} undoes it. Returns
     * false where the mechanism cannot hand a process to a caller (only pidfd + epoll can).
     */
    default boolean detachForCaller(Registration registration) throws SyscallException {
        return false;
    }

    /** Any thread: makes {@link #await} return soon. */
    void wakeup();

    /** Loop thread, after every registration was released. */
    @Override
    void close();
}
