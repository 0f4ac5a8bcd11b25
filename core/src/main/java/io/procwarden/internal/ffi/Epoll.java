package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;
import static io.procwarden.internal.ffi.Native.C_LONG;
import static io.procwarden.internal.ffi.Native.C_POINTER;

import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Bindings for {@code <sys/epoll.h>} (Linux); the eventfd that wakes an epoll set is in {@link Eventfd}. */
public final class Epoll {
    private Epoll() {}

    public static final int EPOLL_CLOEXEC = 02000000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x001;
    /** Priority data; kernfs (cgroup) files report a changed value with EPOLLPRI | EPOLLERR. */
    public static final int EPOLLPRI = 0x002;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLONESHOT = 1 << 30;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;

    private static final boolean PACKED = Platform.current() == Platform.LINUX_X86_64;

    /**
     * {@code struct epoll_event { uint32_t events; epoll_data_t data; }}. On x86_64 the kernel
     * declares it packed (12 bytes, data at offset 4); elsewhere it is naturally aligned
     * (16 bytes, data at 8). Reading it with the natural layout on x86_64 gives garbage.
     */
    public static final StructLayout EVENT = PACKED
            ? MemoryLayout.structLayout(
                    C_INT.withName("events"), C_LONG.withByteAlignment(4).withName("data"))
            : MemoryLayout.structLayout(
                    C_INT.withName("events"), MemoryLayout.paddingLayout(4), C_LONG.withName("data"));

    public static final long EVENTS_OFFSET = EVENT.byteOffset(MemoryLayout.PathElement.groupElement("events"));
    public static final long DATA_OFFSET = EVENT.byteOffset(MemoryLayout.PathElement.groupElement("data"));
    private static final ValueLayout.OfLong DATA = C_LONG.withByteAlignment(PACKED ? 4 : 8);

    // int epoll_create1(int flags);
    private static final class CreateH {
        static final MethodHandle MH = Native.functionWithErrno("epoll_create1", FunctionDescriptor.of(C_INT, C_INT));
    }

    // int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
    private static final class CtlH {
        static final MethodHandle MH = Native.functionWithErrno("epoll_ctl",
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    }

    // int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
    private static final class WaitH {
        static final MethodHandle MH = Native.functionWithErrno("epoll_wait",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT));
    }

    /** A new close-on-exec epoll instance. */
    public static Fd create() throws SyscallException {
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) CreateH.MH.invokeExact(st, EPOLL_CLOEXEC);
            if (r < 0) throw Errno.exception("epoll_create1(EPOLL_CLOEXEC)", Native.errno(st));
            return Fd.adopt(r, "epoll");
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code epoll_ctl(epfd, op, fd, {events, data})}. Safe to call from any thread while another
     * thread is in {@code epoll_wait}.
     */
    public static void ctl(Fd epfd, int op, Fd fd, int events, long data) throws SyscallException {
        int ep = epfd.acquire();
        try {
            int n = fd.acquire();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment event = arena.allocate(EVENT);
                event.set(C_INT, EVENTS_OFFSET, events);
                event.set(DATA, DATA_OFFSET, data);
                MemorySegment st = Native.errnoState();
                int r = (int) CtlH.MH.invokeExact(st, ep, op, n, event);
                if (r != 0) {
                    throw Errno.exception("epoll_ctl(" + epfd + ", " + opName(op) + ", " + fd + ")", Native.errno(st));
                }
            } finally {
                fd.release();
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            epfd.release();
        }
    }

    /**
     * {@code epoll_wait}: blocks up to {@code timeoutMillis} (-1: forever).
     *
     * @return the number of ready events in {@code events}; 0 on timeout or EINTR
     */
    public static int await(Fd epfd, MemorySegment events, int maxEvents, int timeoutMillis) throws SyscallException {
        int ep = epfd.acquire();
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) WaitH.MH.invokeExact(st, ep, events, maxEvents, timeoutMillis);
            if (r >= 0) return r;
            int e = Native.errno(st);
            if (e == Errno.EINTR) return 0;
            throw Errno.exception("epoll_wait(" + epfd + ")", e);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            epfd.release();
        }
    }

    /** The {@code events} mask of the i-th entry of an epoll_wait result. */
    public static int eventsAt(MemorySegment events, int i) {
        return events.get(C_INT, i * EVENT.byteSize() + EVENTS_OFFSET);
    }

    /** The {@code data.u64} of the i-th entry of an epoll_wait result. */
    public static long dataAt(MemorySegment events, int i) {
        return events.get(DATA, i * EVENT.byteSize() + DATA_OFFSET);
    }

    /** Writes an entry (for tests of the layout). */
    public static void setEvent(MemorySegment events, int i, int mask, long data) {
        events.set(C_INT, i * EVENT.byteSize() + EVENTS_OFFSET, mask);
        events.set(DATA, i * EVENT.byteSize() + DATA_OFFSET, data);
    }

    private static String opName(int op) {
        return switch (op) {
            case EPOLL_CTL_ADD -> "EPOLL_CTL_ADD";
            case EPOLL_CTL_DEL -> "EPOLL_CTL_DEL";
            case EPOLL_CTL_MOD -> "EPOLL_CTL_MOD";
            default -> "op " + op;
        };
    }
}
