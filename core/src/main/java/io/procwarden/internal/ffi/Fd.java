package io.procwarden.internal.ffi;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An owned file descriptor: the only way a descriptor number travels above the binding classes.
 *
 * <p>The number is reference-counted while in use, so that {@link #close()} racing with a call
 * on another thread can never close the number in the middle of that call (after which the
 * kernel could hand the same number to an unrelated open and our call would act on it). The
 * real {@code close(2)} happens exactly once, when the owner has closed and the last user has
 * released. {@code close()} is idempotent.
 *
 * <p>State: bit 0 = closed by the owner; bits 1.. = number of users inside a call.
 */
public final class Fd implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Fd.class.getName());

    static {
        // Link close(2) with the first Fd: every descriptor must stay closable when descriptors
        // later run out, and linking the downcall lazily at that point fails (loading the
        // holder class needs a descriptor), which would leak every fd from then on.
        Unistd.linkClose();
    }

    private final int number;
    private final String what;
    private final AtomicInteger state = new AtomicInteger();

    private Fd(int number, String what) {
        this.number = number;
        this.what = what;
    }

    /**
     * Takes ownership of a descriptor number that a call just returned.
     *
     * @param what short description for diagnostics, e.g. {@code "pidfd 4242"}
     */
    public static Fd adopt(int number, String what) {
        if (number < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + number + " (" + what + ")");
        }
        return new Fd(number, what);
    }

    /**
     * Marks the start of a call that uses the number and returns it.
     *
     * @throws IllegalStateException if the descriptor was already closed
     */
    public int acquire() {
        while (true) {
            int s = state.get();
            if ((s & 1) != 0) {
                throw new IllegalStateException("file descriptor already closed: " + what);
            }
            if (state.compareAndSet(s, s + 2)) {
                return number;
            }
        }
    }

    /** Marks the end of a call started with {@link #acquire()}. */
    public void release() {
        if (state.addAndGet(-2) == 1) {
            closeNow();
        }
    }

    /** True until {@link #close()} was called. */
    public boolean isOpen() {
        return (state.get() & 1) == 0;
    }

    /**
     * The number, for diagnostics and for tests that compare with {@code /proc/self/fd}.
     * Calls must use {@link #acquire()} instead.
     */
    public int number() {
        return number;
    }

    @Override
    public void close() {
        while (true) {
            int s = state.get();
            if ((s & 1) != 0) {
                return;
            }
            if (state.compareAndSet(s, s | 1)) {
                if (s == 0) {
                    closeNow();
                }
                return;
            }
        }
    }

    private void closeNow() {
        // close(2) is never retried: on Linux the descriptor is gone even after EINTR, and a retry
        // could close a number another thread just received.
        int errno = Unistd.closeRaw(number);
        if (errno != 0 && errno != Errno.EINTR) {
            LOG.log(System.Logger.Level.WARNING, "close(" + number + ") of " + what + " failed: " + Errno.name(errno));
        }
    }

    @Override
    public String toString() {
        return what + " (fd " + number + (isOpen() ? ")" : ", closed)");
    }
}
