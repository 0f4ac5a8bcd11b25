package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Poll;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.spi.AbstractInterruptibleChannel;

/**
 * One wait of a platform thread in poll(2) on a pipe end and its {@link WakeFd}. It is an
 * {@link AbstractInterruptibleChannel} for one reason: {@link Thread#interrupt()} then closes
 * it, and closing it signals the wake descriptor, which ends the poll. (The JDK offers no other
 * hook into interrupts of a thread blocked in native code.) The pipe end stays open.
 */
final class BlockingPoll extends AbstractInterruptibleChannel {
    private final WakeFd wake;

    BlockingPoll(WakeFd wake) {
        this.wake = wake;
    }

    /**
     * Blocks until {@code fd} is ready for {@code events}, the wake descriptor is signalled, or
     * {@code timeoutMillis} pass (-1: no limit).
     *
     * @throws InterruptedIOException if the thread is interrupted (its interrupt status stays set)
     */
    void await(Fd fd, short events, int timeoutMillis, String what) throws IOException {
        boolean completed = false;
        Poll.Ready ready = null;
        try {
            begin();
            if (isOpen()) ready = Poll.awaitEither(fd, events, wake.pollable(), timeoutMillis);
            completed = true;
        } catch (IllegalStateException closed) {
            completed = true; // the pipe end (or its wake descriptor) was closed meanwhile
        } catch (SyscallException e) {
            completed = true;
            throw new IOException(what + ": " + e.getMessage(), e);
        } finally {
            try {
                end(completed && isOpen());
            } catch (ClosedByInterruptException e) {
                InterruptedIOException ie = new InterruptedIOException(what + ": interrupted");
                ie.initCause(e);
                throw ie;
            }
        }
        if (ready != null && ready.second()) wake.drain();
    }

    @Override
    protected void implCloseChannel() {
        wake.signal();
    }
}
