package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Poll;
import io.procwarden.internal.ffi.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import java.util.concurrent.TimeUnit;

/**
 * How {@code waitFor()} waits on a platform thread: the waiting thread blocks in poll(2) on the
 * child's pidfd, and then reaps the child itself ({@link MonitorLoop#awaitInCaller}), instead of
 * parking until the monitor thread has reaped it and woken it.
 *
 * <p>Why: a hand-off through a second thread costs far more than its wake-up. With the monitor
 * thread in between, the parent, the child and the monitor thread spread over the CPUs and wake
 * each other across them; waiting in one thread, the exit wakes the very thread that spawned
 * (on a 2-core VM, spawn + wait of {@code /bin/true}: 2.4 ms in one thread, 3.4 ms through a
 * second one). This is what Go's {@code os.Process.Wait} does too.
 *
 * <p>Interrupts: the wait is a blocking operation of an {@link AbstractInterruptibleChannel}, so
 * {@link Thread#interrupt()} closes this channel, which writes its eventfd, which ends poll(2).
 * Whoever else ends the registration (the loop reaped first, the monitor closed) writes the same
 * eventfd through {@link #wakeUp()}, found in {@code Registration.callerWait}.
 */
final class CallerReap extends AbstractInterruptibleChannel {
    private final Fd wake;

    private CallerReap(Fd wake) {
        this.wake = wake;
    }

    /** A new wait, with its own eventfd. */
    static CallerReap open() throws SyscallException {
        return new CallerReap(Epoll.eventfd());
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
                // The eventfd (interrupt) or the pidfd (the loop reaped first) was closed meanwhile.
                completed = true;
            } finally {
                try {
                    end(completed && isOpen());
                } catch (ClosedByInterruptException e) {
                    Thread.interrupted();
                    throw new InterruptedException();
                } catch (java.io.IOException closedOtherwise) {
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
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(8, 8);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            Unistd.write(wake, one, 8); // EAGAIN: the counter is already non-zero, poll is woken anyway
        } catch (IllegalStateException closed) {
            // the wait is over
        } catch (SyscallException e) {
            throw new IllegalStateException("cannot wake a waiting thread: " + e.getMessage(), e);
        }
    }

    @Override
    protected void implCloseChannel() {
        wakeUp();
        wake.close(); // the real close(2) waits for a poll(2) in progress to release it
    }
}
