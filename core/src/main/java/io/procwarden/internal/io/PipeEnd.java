package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.PipeIo;
import io.procwarden.internal.ffi.Poll;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Our non-blocking end of one of a child's pipes, served by the monitor loop.
 *
 * <p>Reads and writes are non-blocking system calls made by the calling thread. When the pipe is
 * not ready, a virtual thread arms a one-shot readiness report in the loop and parks until the
 * loop unparks it (no carrier is pinned, nothing is compensated); a platform thread blocks in
 * poll(2) on the pipe and its wake descriptor. Push consumers ({@link Sink}) are called by the
 * loop thread itself. Close, the child's exit and interrupts end every wait.
 *
 * <p>The drain at exit ({@link #exited}): a read end then owes what the pipe held at that moment
 * (FIONREAD) and gives it whatever the deadline; after that, only what arrives before the
 * deadline. A read past the deadline ends the stream: at end of file if every writer is gone,
 * else "cut off", because another process (a grandchild) still holds the pipe open.
 */
public final class PipeEnd implements AutoCloseable {
    /** {@link #readSome} result: the pipe is empty for now. */
    static final int AGAIN = PipeIo.AGAIN;
    /** {@link #readSome} result: the stream has ended (end of file, or cut off at the deadline). */
    static final int END = -2;
    private static final long NONE = Long.MIN_VALUE;

    /** A push consumer, called on the loop thread when the end may be ready or a drain timer is due. */
    interface Sink {
        void onReady();
    }

    final PipeHub hub;
    final Fd fd;
    final boolean write;
    final long key;
    private volatile String name;
    private volatile boolean terminal; // a pty master: EIO on read is the hang-up
    private volatile String label = "";

    private volatile boolean closed;
    private volatile boolean ended;
    private volatile boolean cutOff;
    private volatile boolean exited;
    private volatile long deadline;
    private final AtomicLong owed = new AtomicLong();

    private volatile Sink sink;
    private volatile boolean ready;
    private volatile Thread waiter;
    private volatile WakeFd wake; // created by the first platform thread that has to wait
    private final java.util.concurrent.atomic.AtomicBoolean registered = new java.util.concurrent.atomic.AtomicBoolean();

    PipeEnd(PipeHub hub, Fd fd, boolean write, long key, String name) {
        this.hub = hub;
        this.fd = fd;
        this.write = write;
        this.key = key;
        this.name = name;
    }

    /** Marks a pseudo-terminal master (set before any I/O). */
    void terminal(String newName) {
        this.name = newName;
        this.terminal = true;
    }

    /** True the first time only: the descriptor is not in the loop's epoll set yet. */
    boolean firstRegistration() {
        return registered.compareAndSet(false, true);
    }

    /** True once the descriptor was given to the loop's epoll set or kqueue. */
    boolean wasRegistered() {
        return registered.get();
    }

    /** Names the process in messages, e.g. {@code "pid 4242"}, once it is known. */
    void label(String process) {
        this.label = process + " ";
    }

    /** True once the stream ended because the drain deadline passed while a pipe was still held. */
    boolean cutOff() {
        return cutOff;
    }

    boolean isClosed() {
        return closed;
    }

    /** Hands the end to a push consumer: from now on the loop thread reads or writes it. */
    void attach(Sink s) {
        synchronized (this) {
            if (sink != null) throw new IllegalStateException(this + " already has a subscriber");
            sink = s;
        }
    }

    boolean hasSink() {
        return sink != null;
    }

    /**
     * Non-blocking read with the drain rules applied.
     *
     * @return bytes read, {@link #AGAIN} or {@link #END}
     * @throws IOException if the end is closed or the read fails
     */
    int readSome(byte[] b, int off, int len) throws IOException {
        if (ended) return END;
        ensureOpen();
        boolean late = false;
        if (exited) {
            long o = owed.get();
            if (o > 0) {
                len = (int) Math.min(len, o);
            } else if (System.nanoTime() - deadline >= 0) {
                late = true;
            }
        }
        int r;
        try {
            r = PipeIo.read(fd, b, off, len);
        } catch (SyscallException e) {
            if (terminal && e.errno() == Errno.EIO) {
                // Linux: the master reads EIO, not 0, once the last slave descriptor is closed
                // (after the bytes still buffered); macOS gives 0.
                end(false);
                return END;
            }
            throw new IOException(this + ": " + e.getMessage(), e);
        } catch (IllegalStateException closedMeanwhile) {
            throw closedException();
        }
        if (r == 0 || late) {
            // Past the deadline, bytes read now came after the cut: they are dropped, and the
            // stream ends as cut off (a writer other than the child still holds the pipe).
            end(r != 0);
            return END;
        }
        if (r > 0 && exited) owed.accumulateAndGet(r, (o, n) -> Math.max(0, o - n));
        if (r == AGAIN && exited) {
            // Empty now, so nothing of what the pipe held at the exit is left: a read that began
            // before the exit was seen may have taken it without counting it. Without this, a
            // stale count would keep the deadline from ever applying (a spin, never an end).
            owed.set(0);
            if (System.nanoTime() - deadline >= 0) {
                end(true); // a writer other than the child still holds the pipe
                return END;
            }
        }
        return r;
    }

    /**
     * Non-blocking write.
     *
     * @return bytes written, or {@link #AGAIN}
     * @throws IOException EPIPE (the child closed its stdin) naming the process, or if closed
     */
    int writeSome(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        try {
            return PipeIo.write(fd, b, off, len);
        } catch (SyscallException e) {
            if (e.errno() == Errno.EPIPE) {
                throw new IOException(label + name + " is closed by the process (EPIPE)", e);
            }
            throw new IOException(this + ": " + e.getMessage(), e);
        } catch (IllegalStateException closedMeanwhile) {
            throw closedException();
        }
    }

    /** True once the process has exited (and a write end can no longer expect a reader). */
    boolean exited() {
        return exited;
    }

    /**
     * Blocks the calling thread until the pipe may be ready, the end is closed, the exit is
     * seen, or the drain deadline passes. Callers re-check with a non-blocking call afterwards.
     *
     * @throws InterruptedIOException if the thread is interrupted (its interrupt status stays set)
     */
    void await() throws IOException {
        boolean wasExited = exited;
        long until = !write && wasExited ? deadline : NONE;
        if (Thread.currentThread().isVirtual() && !hub.isClosed()) {
            park(until, wasExited);
        } else {
            poll(until, wasExited);
        }
    }

    private void park(long until, boolean wasExited) throws IOException {
        Thread me = Thread.currentThread();
        ready = false;
        waiter = me;
        try {
            if (closed || exited != wasExited) return;
            try {
                hub.arm(this);
            } catch (SyscallException e) {
                throw new IOException(this + ": " + e.getMessage(), e);
            } catch (IllegalStateException closedMeanwhile) {
                return;
            }
            // The drain deadline is an event too: the loop's timer reports it (onReady), so the
            // wait is one park for whichever comes first, never a timed sleep.
            if (until != NONE) hub.schedule(until, this);
            while (!ready && !closed && exited == wasExited) {
                if (me.isInterrupted()) throw new InterruptedIOException(this + ": interrupted");
                if (until != NONE && System.nanoTime() - until >= 0) return;
                LockSupport.park(this);
            }
        } finally {
            waiter = null;
        }
    }

    private void poll(long until, boolean wasExited) throws IOException {
        WakeFd w = wakeFd();
        // Re-checked after the wake descriptor exists: an exit or close before it could not signal it.
        if (closed || exited != wasExited) return;
        int millis = -1;
        if (until != NONE) {
            long left = until - System.nanoTime();
            if (left <= 0) return;
            millis = (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
        }
        new BlockingPoll(w).await(fd, write ? Poll.POLLOUT : Poll.POLLIN, millis, toString());
    }

    private WakeFd wakeFd() throws IOException {
        WakeFd w = wake;
        if (w != null) return w;
        synchronized (this) {
            if (wake == null) {
                try {
                    wake = WakeFd.open();
                } catch (SyscallException e) {
                    throw new IOException(this + ": cannot wait: " + e.getMessage(), e);
                }
                if (closed) wake.close(); // lost a race with close(): the wait sees closed
            }
            return wake;
        }
    }

    /** Loop thread: readiness was reported, or a drain timer is due. */
    void onReady() {
        ready = true;
        Thread w = waiter;
        if (w != null) LockSupport.unpark(w);
        Sink s = sink;
        if (s != null) s.onReady();
    }

    /**
     * The child has exited (any thread; once): starts the drain, wakes waiters.
     *
     * @param drainNanos how long after now bytes that were not in the pipe yet are still taken
     */
    void exited(long drainNanos) {
        if (exited) return;
        if (!write && !closed && !ended) {
            try {
                owed.set(PipeIo.available(fd));
            } catch (SyscallException | IllegalStateException e) {
                owed.set(0); // closed meanwhile, or no count: the deadline alone applies
            }
        }
        long now = System.nanoTime();
        deadline = now + Math.min(drainNanos, TimeUnit.DAYS.toNanos(365));
        exited = true;
        wakeWaiters();
        if (sink != null && !closed && !ended) hub.schedule(write ? now : deadline, this);
    }

    /**
     * After the exit, has the loop look at a push consumer again at the drain deadline (now, if
     * it has passed): a pipe held open and silent by a grandchild is never reported ready.
     */
    void scheduleDrainCheck() {
        if (!exited || closed || ended) return;
        long now = System.nanoTime();
        hub.schedule(deadline - now > 0 ? deadline : now, this);
    }

    private void wakeWaiters() {
        Thread w = waiter;
        if (w != null) LockSupport.unpark(w);
        WakeFd wf = wake;
        if (wf != null) wf.signal();
    }

    /** The stream has ended: no more reads; the descriptor goes at once. */
    private void end(boolean cut) {
        cutOff = cut;
        ended = true;
        release();
    }

    boolean ended() {
        return ended;
    }

    private void ensureOpen() throws IOException {
        if (closed) throw closedException();
    }

    private IOException closedException() {
        return new IOException(label + name + ": stream closed");
    }

    /** Closes our end (the child then sees end of file or EPIPE); wakes every waiter. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        release();
        // A push consumer learns of it on the loop thread (a subscriber gets onError; after a
        // cancel it is done already and hears nothing more).
        if (sink != null && !hub.isClosed()) hub.schedule(System.nanoTime(), this);
    }

    private void release() {
        synchronized (this) {
            if (!fd.isOpen()) return;
            hub.forget(this);
            wakeWaiters();
            fd.close(); // the real close(2) waits for a read, write or poll in progress on it
            if (wake != null) wake.close();
        }
    }

    @Override
    public String toString() {
        return label + name + (terminal ? "" : " pipe");
    }
}
