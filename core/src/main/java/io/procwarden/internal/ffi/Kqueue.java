package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;
import static io.procwarden.internal.ffi.Native.C_LONG;
import static io.procwarden.internal.ffi.Native.C_POINTER;
import static io.procwarden.internal.ffi.Native.C_SHORT;

import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * Bindings for {@code <sys/event.h>} (macOS, BSD). The symbols are linked lazily, on first use,
 * so this class loads (and its marshalling is unit-tested) on Linux, where there is no kqueue.
 */
public final class Kqueue {
    private Kqueue() {}

    public static final short EVFILT_READ = -1;
    public static final short EVFILT_WRITE = -2;
    public static final short EVFILT_PROC = -5;
    public static final short EVFILT_USER = -10;
    public static final short EV_ADD = 0x0001;
    public static final short EV_DELETE = 0x0002;
    public static final short EV_ENABLE = 0x0004;
    public static final short EV_ONESHOT = 0x0010;
    public static final short EV_CLEAR = 0x0020;
    public static final short EV_RECEIPT = 0x0040;
    public static final short EV_ERROR = 0x4000;
    public static final short EV_EOF = (short) 0x8000;
    public static final int NOTE_EXIT = 0x80000000;
    /** With NOTE_EXIT on a child: {@code data} holds the wait status (macOS). */
    public static final int NOTE_EXITSTATUS = 0x04000000;
    public static final int NOTE_TRIGGER = 0x01000000;

    /**
     * {@code struct kevent { uintptr_t ident; int16_t filter; uint16_t flags; uint32_t fflags;
     * intptr_t data; void *udata; }}: 32 bytes on 64-bit macOS.
     */
    public static final StructLayout KEVENT = MemoryLayout.structLayout(
            C_LONG.withName("ident"),
            C_SHORT.withName("filter"),
            C_SHORT.withName("flags"),
            C_INT.withName("fflags"),
            C_LONG.withName("data"),
            C_LONG.withName("udata"));

    public static final long IDENT = offset("ident");
    public static final long FILTER = offset("filter");
    public static final long FLAGS = offset("flags");
    public static final long FFLAGS = offset("fflags");
    public static final long DATA = offset("data");
    public static final long UDATA = offset("udata");

    /** {@code struct timespec { time_t tv_sec; long tv_nsec; }}. */
    public static final StructLayout TIMESPEC =
            MemoryLayout.structLayout(C_LONG.withName("tv_sec"), C_LONG.withName("tv_nsec"));

    private static long offset(String field) {
        return KEVENT.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    // int kqueue(void);
    private static final class KqueueH {
        static final MethodHandle MH = Native.functionWithErrno("kqueue", FunctionDescriptor.of(C_INT));
    }

    // int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
    //            int nevents, const struct timespec *timeout);
    private static final class KeventH {
        static final MethodHandle MH = Native.functionWithErrno("kevent",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_POINTER, C_INT, C_POINTER));
    }

    /** A new kqueue, close-on-exec. */
    public static Fd create() throws SyscallException {
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) KqueueH.MH.invokeExact(st);
            if (r < 0) throw Errno.exception("kqueue()", Native.errno(st));
            Fd fd = Fd.adopt(r, "kqueue");
            try {
                Unistd.setCloexec(fd);
            } catch (SyscallException e) {
                fd.close();
                throw e;
            }
            return fd;
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Fills the i-th {@code struct kevent} of an array (EV_SET). */
    public static void set(MemorySegment events, int i, long ident, short filter, short flags, int fflags,
            long data, long udata) {
        long base = i * KEVENT.byteSize();
        events.set(C_LONG, base + IDENT, ident);
        events.set(C_SHORT, base + FILTER, filter);
        events.set(C_SHORT, base + FLAGS, flags);
        events.set(C_INT, base + FFLAGS, fflags);
        events.set(C_LONG, base + DATA, data);
        events.set(C_LONG, base + UDATA, udata);
    }

    public static long identAt(MemorySegment events, int i) {
        return events.get(C_LONG, i * KEVENT.byteSize() + IDENT);
    }

    public static short filterAt(MemorySegment events, int i) {
        return events.get(C_SHORT, i * KEVENT.byteSize() + FILTER);
    }

    public static short flagsAt(MemorySegment events, int i) {
        return events.get(C_SHORT, i * KEVENT.byteSize() + FLAGS);
    }

    public static int fflagsAt(MemorySegment events, int i) {
        return events.get(C_INT, i * KEVENT.byteSize() + FFLAGS);
    }

    public static long dataAt(MemorySegment events, int i) {
        return events.get(C_LONG, i * KEVENT.byteSize() + DATA);
    }

    public static long udataAt(MemorySegment events, int i) {
        return events.get(C_LONG, i * KEVENT.byteSize() + UDATA);
    }

    /**
     * Applies one change with EV_RECEIPT so its own result comes back at once, without reading
     * pending events. Returns 0 or the errno the kernel put in the receipt's {@code data}
     * (ESRCH when the pid does not exist).
     */
    public static int change(Fd kq, long ident, short filter, short flags, int fflags, long udata)
            throws SyscallException {
        int k = kq.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment change = arena.allocate(KEVENT);
            MemorySegment receipt = arena.allocate(KEVENT);
            set(change, 0, ident, filter, (short) (flags | EV_RECEIPT), fflags, 0, udata);
            MemorySegment st = Native.errnoState();
            while (true) {
                int r = (int) KeventH.MH.invokeExact(st, k, change, 1, receipt, 1, MemorySegment.NULL);
                if (r >= 0) break;
                int e = Native.errno(st);
                if (e != Errno.EINTR) throw Errno.exception("kevent(" + kq + ", change " + ident + ")", e);
            }
            return (flagsAt(receipt, 0) & EV_ERROR) != 0 ? (int) dataAt(receipt, 0) : 0;
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            kq.release();
        }
    }

    /**
     * Waits for events: blocks up to {@code timeoutNanos} (negative: forever).
     *
     * @return the number of events in {@code events}; 0 on timeout or EINTR
     */
    public static int await(Fd kq, MemorySegment events, int maxEvents, long timeoutNanos) throws SyscallException {
        int k = kq.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timeout = MemorySegment.NULL;
            if (timeoutNanos >= 0) {
                timeout = arena.allocate(TIMESPEC);
                timeout.set(C_LONG, 0, timeoutNanos / 1_000_000_000L);
                timeout.set(C_LONG, 8, timeoutNanos % 1_000_000_000L);
            }
            MemorySegment st = Native.errnoState();
            int r = (int) KeventH.MH.invokeExact(st, k, MemorySegment.NULL, 0, events, maxEvents, timeout);
            if (r >= 0) return r;
            int e = Native.errno(st);
            if (e == Errno.EINTR) return 0;
            throw Errno.exception("kevent(" + kq + ", wait)", e);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            kq.release();
        }
    }
}
