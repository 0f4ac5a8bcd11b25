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

/** Binding for {@code poll(2)} ({@code <poll.h>}), over one or two descriptors: all procwarden needs. */
public final class Poll {
    private Poll() {}

    public static final short POLLIN = 0x001;
    public static final short POLLOUT = 0x004;

    /** {@code struct pollfd { int fd; short events; short revents; }}: 8 bytes everywhere. */
    static final StructLayout POLLFD = MemoryLayout.structLayout(
            C_INT.withName("fd"), C_SHORT.withName("events"), C_SHORT.withName("revents"));

    private static final long FD = POLLFD.byteOffset(MemoryLayout.PathElement.groupElement("fd"));
    private static final long EVENTS = POLLFD.byteOffset(MemoryLayout.PathElement.groupElement("events"));
    private static final long REVENTS = POLLFD.byteOffset(MemoryLayout.PathElement.groupElement("revents"));

    // int poll(struct pollfd *fds, nfds_t nfds, int timeout);
    private static final class PollH {
        static final MethodHandle MH =
                Native.functionWithErrno("poll", FunctionDescriptor.of(C_INT, C_POINTER, C_LONG, C_INT));
    }

    /**
     * Blocks until {@code fd} reports a hang-up (or an error), or {@code timeoutMillis} passes:
     * poll(2) with no requested events, which reports only POLLHUP, POLLERR and POLLNVAL (a
     * pidfd hangs up when its process has been reaped). EINTR is retried.
     *
     * @return true on a hang-up or error; false on timeout
     */
    public static boolean awaitHangUp(Fd fd, int timeoutMillis) throws SyscallException {
        return pollOne(fd, (short) 0, timeoutMillis, "hang-up");
    }

    /** Which of the two descriptors {@link #awaitEither} found readable. */
    public record Ready(boolean first, boolean second) {}

    /**
     * Blocks until {@code first} or {@code second} is readable (or reports an error or hang-up),
     * or {@code timeoutMillis} passes (-1: no limit). EINTR counts as nothing ready: the caller
     * decides whether to wait again.
     */
    public static Ready awaitEither(Fd first, Fd second, int timeoutMillis) throws SyscallException {
        return awaitEither(first, POLLIN, second, timeoutMillis);
    }

    /**
     * As {@link #awaitEither(Fd, Fd, int)}, waiting for {@code firstEvents} (POLLIN or POLLOUT) on
     * {@code first}; error and hang-up count as ready too (the next read or write reports them).
     */
    public static Ready awaitEither(Fd first, short firstEvents, Fd second, int timeoutMillis) throws SyscallException {
        int a = first.acquire();
        try {
            int b = second.acquire();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment fds = arena.allocate(POLLFD, 2);
                fds.set(C_INT, FD, a);
                fds.set(C_SHORT, EVENTS, firstEvents);
                fds.set(C_INT, POLLFD.byteSize() + FD, b);
                fds.set(C_SHORT, POLLFD.byteSize() + EVENTS, POLLIN);
                MemorySegment st = Native.errnoState();
                int r = (int) PollH.MH.invokeExact(st, fds, 2L, timeoutMillis);
                if (r < 0) {
                    int e = Native.errno(st);
                    if (e == Errno.EINTR) return new Ready(false, false);
                    throw Errno.exception("poll(" + first + ", " + second + ")", e);
                }
                return new Ready(fds.get(C_SHORT, REVENTS) != 0, fds.get(C_SHORT, POLLFD.byteSize() + REVENTS) != 0);
            } finally {
                second.release();
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            first.release();
        }
    }

    /** Whether {@code fd} is readable now (or reports an error or hang-up): {@code poll} with timeout 0. */
    public static boolean readable(Fd fd) throws SyscallException {
        return pollOne(fd, POLLIN, 0, null);
    }

    /** poll(2) on one descriptor for {@code events}, retrying EINTR: true if any revents came. */
    private static boolean pollOne(Fd fd, short events, int timeoutMillis, String what) throws SyscallException {
        int n = fd.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(POLLFD);
            fds.set(C_INT, FD, n);
            fds.set(C_SHORT, EVENTS, events);
            MemorySegment st = Native.errnoState();
            while (true) {
                int r = (int) PollH.MH.invokeExact(st, fds, 1L, timeoutMillis);
                if (r >= 0) return r > 0 && fds.get(C_SHORT, REVENTS) != 0;
                int e = Native.errno(st);
                if (e != Errno.EINTR) throw Errno.exception("poll(" + fd + (what == null ? "" : ", " + what) + ")", e);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            fd.release();
        }
    }
}
