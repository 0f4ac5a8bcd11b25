package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Eventfd;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Poll;
import io.procwarden.internal.ffi.Wait;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * How {@code waitFor()} waits on a platform thread: the waiting thread takes its child off the
 * loop, blocks in poll(2) on the child's pidfd, and then reaps the child itself, instead of
 * parking until the monitor thread has reaped it and woken it.
 *
 * <p>Why: a hand-off through a second thread costs far more than its wake-up. With the monitor
 * thread in between, the parent, the child and the monitor thread spread over the CPUs and wake
 * each other across them; waiting in one thread, the exit wakes the very thread that spawned
 * (on a 2-core VM, spawn + wait of {@code /bin/true}: 2.4 ms in one thread, 3.4 ms through a
 * second one). This is what Go's {@code os.Process.Wait} does too.
 *
 * <p>The protocol, on the registration's state machine: ARMED becomes DETACHED_FOR_CALLER (out
 * of the epoll set); then either this thread reaps and ends the registration, or it gives it
 * back (rearm) on a timeout, an interrupt or a wake-up. A pidfd is level-triggered, so an exit
 * while detached is reported at once after the rearm.
 *
 * <p>Interrupts: the wait is a blocking operation of an {@link AbstractInterruptibleChannel}, so
 * {@link Thread#interrupt()} closes this channel, which writes its eventfd, which ends poll(2).
 * The close alone is not an interrupt: {@code interrupt()} sets the status first and closes
 * whatever channel the thread is in a moment later, which can be this wait, begun after the
 * thread had already seen and reported that status elsewhere. Only a status still set at the
 * end of the wait becomes an InterruptedException; a close without one ends the wait as a
 * wake-up would (the caller then waits for the monitor).
 * Whoever else ends the registration (the loop failed it, the monitor closed) writes the same
 * eventfd through {@link #wakeUp()} ({@link Registration#end}).
 */
final class CallerReap extends AbstractInterruptibleChannel {
    private static final System.Logger LOG = System.getLogger(CallerReap.class.getName());

    private final Fd wake;

    private CallerReap(Fd wake) {
        this.wake = wake;
    }

    /**
     * Waits for a child in the calling thread, which reaps it if it gets there first. Returns
     * once the child was reaped (here or by the loop), once {@code timeoutNanos} have passed
     * (-1: no limit), or at once where this does not apply: a virtual thread (it must not block
     * its carrier), the loop thread, a second concurrent caller, a backend without pidfds, a
     * closing monitor. See {@link MonitorLoop#awaitInCaller}.
     */
    static void await(MonitorLoop loop, Registration r, long timeoutNanos, CompletableFuture<?> completion)
            throws InterruptedException {
        Thread me = Thread.currentThread();
        if (timeoutNanos == 0 || me.isVirtual() || loop.isLoopThread(me)) return;
        if (!r.child || r.pidfd == null || completion.isDone() || loop.isClosing()) return;
        try (CallerReap wait = new CallerReap(Eventfd.create())) {
            if (!r.detachForCaller(loop.source(), wait)) return;
            boolean ended = false;
            try {
                if (wait.awaitExit(r.pidfd, timeoutNanos)) {
                    ended = reapHere(loop, r);
                }
            } finally {
                if (!ended) giveBack(loop, r);
            }
        } catch (IOException e) {
            // EMFILE for the eventfd and the like: the loop still watches the child (given back
            // above, or never taken), so the caller's ordinary wait for the future is the fallback.
            LOG.log(System.Logger.Level.DEBUG, "waiting in the caller failed; waiting for the monitor", e);
        }
    }

    /** After the pidfd turned readable: reaps (unless someone else did), and ends the registration here. */
    private static boolean reapHere(MonitorLoop loop, Registration r) {
        Wait.Reaped outcome;
        try {
            outcome = loop.source().collect(r);
        } catch (SyscallException | RuntimeException e) {
            loop.complete(r, null, e); // as the loop would: the waiters learn why
            return true;
        }
        // Null: reaped meanwhile, by the loop (the pidfd was ready in a batch it was handling as we
        // detached) or by the successor it was handed to as the monitor closed; they end it.
        if (outcome == null) return false;
        loop.completeDetached(r, outcome);
        return true;
    }

    /** Gives a registration back to the loop after this thread stopped waiting on it itself. */
    private static void giveBack(MonitorLoop loop, Registration r) {
        Wait.Reaped found;
        try {
            found = r.arm(loop.source()); // nothing if it ended meanwhile (the monitor closed)
        } catch (SyscallException | RuntimeException e) {
            // Unwatched, it would never be reaped: tell its waiters why, as the loop does on failures.
            loop.complete(r, null, e);
            return;
        }
        if (found != null) loop.complete(r, found, null);
    }

    /**
     * Blocks until {@code pidfd} is readable (its process has exited), {@link #wakeUp()} is
     * called, or {@code timeoutNanos} (-1: no limit) pass.
     *
     * @return true if the process has exited; false if woken or timed out
     * @throws InterruptedException if this thread is interrupted (its interrupt status is cleared,
     *     as {@link Object#wait()} would)
     */
    boolean awaitExit(Fd pidfd, long timeoutNanos) throws InterruptedException, SyscallException {
        long start = System.nanoTime();
        while (true) {
            int millis = -1;
            if (timeoutNanos >= 0) {
                long left = timeoutNanos - (System.nanoTime() - start);
                if (left <= 0) return false;
                // Round up: poll(2) takes milliseconds and must not return before the deadline.
                long up = TimeUnit.NANOSECONDS.toMillis(Math.min(left, Long.MAX_VALUE - 999_999) + 999_999);
                millis = (int) Math.min(Integer.MAX_VALUE, up);
            }
            Poll.Ready ready = new Poll.Ready(false, false);
            boolean completed = false;
            try {
                begin();
                if (isOpen()) ready = Poll.awaitEither(pidfd, wake, millis);
                completed = true;
            } catch (IllegalStateException closed) {
                // The eventfd (interrupt) or the pidfd (the loop released it) was closed meanwhile.
                completed = true;
            } finally {
                try {
                    end(completed && isOpen());
                } catch (ClosedByInterruptException e) {
                    // Thread.interrupt() sets the status, then closes the channel the thread is in
                    // at that moment. In between, this thread may have reported that interrupt
                    // already (a CompletableFuture.get() cleared the status) and begun this wait:
                    // only a status still set is an interrupt to report. Nothing here clears it.
                    if (Thread.interrupted()) throw new InterruptedException();
                    return false; // a late close for an interrupt reported before: a wake-up
                } catch (IOException closedOtherwise) {
                    return false; // closed by its owner: nothing else closes it
                }
            }
            if (ready.first()) return true;
            if (ready.second() || !pidfd.isOpen()) return false;
            // EINTR or a timeout: the loop above decides
        }
    }

    /** Makes {@link #awaitExit} return false soon. Any thread; harmless after close. */
    void wakeUp() {
        Eventfd.wake(wake);
    }

    @Override
    protected void implCloseChannel() {
        wakeUp();
        wake.close(); // the real close(2) waits for a poll(2) in progress to release it
    }
}
