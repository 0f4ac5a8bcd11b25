package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;

import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Bindings for {@code <sys/eventfd.h>} (Linux), and the one wake-up built on it: a thread blocked
 * in epoll_wait or poll(2) on an eventfd is woken by another thread adding to its counter. The
 * monitor loop's wake-up and a caller's wait on a pidfd both use {@link #wake} and {@link #drain}.
 */
public final class Eventfd {
    private Eventfd() {}

    public static final int EFD_CLOEXEC = 02000000;
    public static final int EFD_NONBLOCK = 04000;

    // int eventfd(unsigned int initval, int flags);
    private static final class EventfdH {
        static final MethodHandle MH = Native.functionWithErrno("eventfd", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    }

    /** A new close-on-exec, non-blocking eventfd with counter 0. */
    public static Fd create() throws SyscallException {
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) EventfdH.MH.invokeExact(st, 0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (r < 0) throw Errno.exception("eventfd(0, EFD_CLOEXEC|EFD_NONBLOCK)", Native.errno(st));
            return Fd.adopt(r, "eventfd");
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Adds 1 to the counter, which makes the descriptor readable and wakes whoever polls it. Any
     * thread. Nothing happens once the descriptor is closed (the waiter is gone); EAGAIN means
     * the counter is saturated, and the waiter is woken anyway.
     *
     * @throws IllegalStateException if write(2) fails otherwise (it names the errno)
     */
    public static void wake(Fd eventfd) {
        if (!eventfd.isOpen()) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            Unistd.write(eventfd, one, 8);
        } catch (SyscallException e) {
            throw new IllegalStateException("cannot wake a waiting thread: " + e.getMessage(), e);
        } catch (IllegalStateException closedMeanwhile) {
            // closed between the check and the write: nobody is left to wake
        }
    }

    /** Resets the counter to 0, so the descriptor stops being readable; {@code scratch} holds 8 bytes. */
    public static void drain(Fd eventfd, MemorySegment scratch) throws SyscallException {
        Unistd.read(eventfd, scratch, 8); // -1 (EAGAIN): already 0
    }
}
