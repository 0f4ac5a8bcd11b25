package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The loop's side of every pipe end: which key is which end, and the drain timers.
 *
 * <p>The monitor loop owns one. Its thread calls {@link #ready} for every reported pipe key,
 * {@link #runDueTimers()} after each wait, and waits at most {@link #nextTimeoutNanos()}.
 * Pipe keys carry bit 62, so they never collide with the loop's process registrations
 * (numbered from 1) or its wake-up (0).
 */
public final class PipeHub {
    private static final long PIPE_BIT = 1L << 62;
    private static final System.Logger LOG = System.getLogger(PipeHub.class.getName());
    /** The size of one push read (the loop's scratch buffer). */
    static final int CHUNK = 64 * 1024;

    private final PipeReadiness readiness;
    private final Runnable wakeup;
    private final Map<Long, PipeEnd> ends = new ConcurrentHashMap<>();
    private final AtomicLong keys = new AtomicLong();
    private volatile boolean closed;
    private final Queue<Timer> added = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(); // loop thread only
    /**
     * Loop thread only: push reads land here, and subscribers get a view of it that is valid
     * until their {@code onNext} returns. A buffer per read would allocate (and fault in) as much
     * heap as the children write: a GiB for 1,000 children of 1 MiB.
     */
    private final byte[] scratch = new byte[CHUNK];

    byte[] scratch() {
        return scratch;
    }

    /**
     * @param readiness the loop's epoll set or kqueue
     * @param wakeup makes the loop's wait return (to take a new timer into account)
     */
    public PipeHub(PipeReadiness readiness, Runnable wakeup) {
        this.readiness = readiness;
        this.wakeup = wakeup;
    }

    /** True for keys of pipe ends (as opposed to process registrations). */
    public static boolean isPipeKey(long key) {
        return (key & PIPE_BIT) != 0;
    }

    /**
     * Takes ownership of our end of a pipe and makes it non-blocking (the child's end stays
     * blocking: it is a separate open file). On failure {@code fd} is closed.
     *
     * @param write true for the end we write (the child's stdin)
     * @param name for messages, e.g. {@code "stdout"}
     */
    public PipeEnd adopt(Fd fd, boolean write, String name) throws SyscallException {
        try {
            Unistd.setNonBlocking(fd);
        } catch (SyscallException | RuntimeException e) {
            fd.close();
            throw e;
        }
        PipeEnd end = new PipeEnd(this, fd, write, keys.incrementAndGet() | PIPE_BIT, name);
        ends.put(end.key, end);
        return end;
    }

    /** Pipe ends not closed yet (tests check nothing leaks). */
    public int openEnds() {
        return ends.size();
    }

    void arm(PipeEnd end) throws SyscallException {
        if (closed) throw new IllegalStateException("the monitor serving " + end + " is closed");
        readiness.arm(end.fd, end.write, end.key, end.firstRegistration());
    }

    /** Level-triggered reports for a push consumer with demand ({@link PipeReadiness#watch}). */
    void watch(PipeEnd end, boolean on) throws SyscallException {
        if (closed) throw new IllegalStateException("the monitor serving " + end + " is closed");
        if (on) readiness.watch(end.fd, end.write, end.key, end.firstRegistration());
        else readiness.pause(end.fd, end.write, end.key);
    }

    /** True once the loop has stopped: waits fall back to poll(2) in the caller, push consumers fail. */
    boolean isClosed() {
        return closed;
    }

    /**
     * Loop thread, as the loop stops: no readiness will be reported any more. Every end's
     * waiters are woken (and then poll themselves); push consumers are told by a failure.
     */
    public void shutdown() {
        closed = true;
        for (PipeEnd end : ends.values()) {
            try {
                end.onReady();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "waking " + end + " at shutdown failed", e);
            }
        }
    }

    void forget(PipeEnd end) {
        if (ends.remove(end.key) != null && end.wasRegistered()) readiness.forget(end.fd, end.write);
    }

    /** Loop thread: a pipe end's readiness was reported. */
    public void ready(long key) {
        PipeEnd end = ends.get(key);
        if (end != null) end.onReady(); // null: closed since it was armed
    }

    /** Any thread: runs {@code action} on the loop thread once {@code deadlineNanos} (nanoTime) is reached. */
    void schedule(long deadlineNanos, PipeEnd end) {
        added.add(new Timer(deadlineNanos, end));
        wakeup.run();
    }

    /** Loop thread: nanoseconds until the next timer (0 if one is due), or -1 without timers. */
    public long nextTimeoutNanos() {
        Timer t;
        while ((t = added.poll()) != null) timers.add(t);
        Timer first = timers.peek();
        return first == null ? -1 : Math.max(0, first.deadline - System.nanoTime());
    }

    /** Loop thread: runs the timers that are due. */
    public void runDueTimers() {
        Timer t;
        while ((t = added.poll()) != null) timers.add(t);
        long now = System.nanoTime();
        while ((t = timers.peek()) != null && t.deadline - now <= 0) {
            timers.poll();
            try {
                t.end.onReady();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "drain timer of " + t.end + " failed", e);
            }
        }
    }

    private record Timer(long deadline, PipeEnd end) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            return Long.compare(deadline - o.deadline, 0);
        }
    }
}
