package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Eventfd;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Kqueue;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * A wait on pipe readiness and a wake-up, with a timeout: an epoll set plus an eventfd on
 * Linux, a kqueue plus an {@code EVFILT_USER} filter on macOS. The polling exit backend waits
 * here (its round interval as the timeout), so that with it too every pipe is served by the one
 * loop thread; tests use it as a loop of their own.
 */
public final class EventWait implements PipeReadiness, AutoCloseable {
    private static final long WAKE_KEY = 0;
    private static final int MAX_EVENTS = 256;

    private final boolean linux = Platform.current().isLinux();
    private final Fd poller;
    private final Fd wake; // Linux only
    private final PipeReadiness readiness;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events;
    private final MemorySegment counter;

    /** A new wait; close it from the thread that waits, once it no longer waits. */
    public EventWait() throws SyscallException {
        boolean ok = false;
        Fd p = null;
        Fd w = null;
        try {
            if (linux) {
                p = Epoll.create();
                w = Eventfd.create();
                Epoll.ctl(p, Epoll.EPOLL_CTL_ADD, w, Epoll.EPOLLIN, WAKE_KEY);
                events = arena.allocate(Epoll.EVENT, MAX_EVENTS);
            } else {
                p = Kqueue.create();
                int err = Kqueue.change(p, WAKE_KEY, Kqueue.EVFILT_USER, (short) (Kqueue.EV_ADD | Kqueue.EV_CLEAR), 0, 0);
                if (err != 0) throw Errno.exception("kevent(EVFILT_USER, EV_ADD)", err);
                events = arena.allocate(Kqueue.KEVENT, MAX_EVENTS);
            }
            counter = arena.allocate(8, 8);
            ok = true;
        } finally {
            if (!ok) {
                if (w != null) w.close();
                if (p != null) p.close();
                arena.close();
            }
        }
        this.poller = p;
        this.wake = w;
        this.readiness = linux ? new EpollReadiness(p) : new KqueueReadiness(p);
    }

    @Override
    public void arm(Fd fd, boolean write, long key, boolean first) throws SyscallException {
        readiness.arm(fd, write, key, first);
    }

    @Override
    public void watch(Fd fd, boolean write, long key, boolean first) throws SyscallException {
        readiness.watch(fd, write, key, first);
    }

    @Override
    public void pause(Fd fd, boolean write, long key) throws SyscallException {
        readiness.pause(fd, write, key);
    }

    @Override
    public void forget(Fd fd, boolean write) {
        readiness.forget(fd, write);
    }

    /**
     * Blocks until a pipe is ready, {@link #wakeup()} is called, or {@code timeoutNanos} pass
     * (negative: no limit); reports the keys of the ready pipes.
     */
    public void await(long timeoutNanos, LongConsumer ready) throws SyscallException {
        int n;
        if (linux) {
            int millis = timeoutNanos < 0 ? -1
                    : (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999));
            n = Epoll.await(poller, events, MAX_EVENTS, millis);
        } else {
            n = Kqueue.await(poller, events, MAX_EVENTS, timeoutNanos);
        }
        for (int i = 0; i < n; i++) {
            long key = linux ? Epoll.dataAt(events, i) : Kqueue.udataAt(events, i);
            if (linux ? key == WAKE_KEY : Kqueue.filterAt(events, i) == Kqueue.EVFILT_USER) {
                if (linux) Unistd.read(wake, counter, 8); // resets the counter; EAGAIN if drained
            } else {
                ready.accept(key);
            }
        }
    }

    /** Makes {@link #await} return soon. Any thread; harmless after close. */
    public void wakeup() {
        try {
            if (linux) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment one = a.allocate(8, 8);
                    one.set(ValueLayout.JAVA_LONG, 0, 1L);
                    Unistd.write(wake, one, 8); // EAGAIN: saturated, awake anyway
                }
            } else {
                Kqueue.change(poller, WAKE_KEY, Kqueue.EVFILT_USER, (short) 0, Kqueue.NOTE_TRIGGER, 0);
            }
        } catch (IllegalStateException closed) {
            // the wait is over for good
        } catch (SyscallException e) {
            throw new IllegalStateException("cannot wake the loop: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (wake != null) wake.close();
        poller.close();
        arena.close();
    }
}
