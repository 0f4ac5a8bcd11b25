package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;
import static io.procwarden.internal.ffi.Native.C_LONG;
import static io.procwarden.internal.ffi.Native.C_POINTER;

import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code read(2)}, {@code write(2)} and {@code ioctl(FIONREAD)} on our non-blocking pipe ends.
 *
 * <p>The read and write handles are linked {@code critical(true)}: the JVM passes a Java array to
 * the kernel directly (no native bounce buffer, no copy). That is only sound for calls that
 * cannot block, which is why these are for {@code O_NONBLOCK} descriptors only: a pipe that is
 * not ready answers EAGAIN at once, reported as {@link #AGAIN}, distinct from end of file (0).
 */
public final class PipeIo {
    private PipeIo() {}

    /** Returned by {@link #read} and {@link #write} when the pipe is not ready (EAGAIN). */
    public static final int AGAIN = -1;

    private static final long FIONREAD = Platform.current().isMacOs() ? 0x4004667fL : 0x541BL;

    // ssize_t read(int fd, void *buf, size_t count);
    private static final class ReadH {
        static final MethodHandle MH = Native.functionWithErrno("read",
                FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG), Linker.Option.critical(true));
    }

    // ssize_t write(int fd, const void *buf, size_t count);
    private static final class WriteH {
        static final MethodHandle MH = Native.functionWithErrno("write",
                FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG), Linker.Option.critical(true));
    }

    // int ioctl(int fd, unsigned long request, ...);  variadic: the pointer is the first variadic argument
    private static final class IoctlH {
        static final MethodHandle MH = Native.functionWithErrno("ioctl",
                FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_POINTER), Linker.Option.firstVariadicArg(2));
    }

    /**
     * Reads up to {@code len} bytes into {@code b[off..]} from a non-blocking descriptor, retrying
     * EINTR.
     *
     * @return the count read, 0 at end of file, or {@link #AGAIN}
     * @throws SyscallException any other failure
     */
    public static int read(Fd fd, byte[] b, int off, int len) throws SyscallException {
        return transfer(ReadH.MH, "read", fd, b, off, len);
    }

    /**
     * Writes up to {@code len} bytes of {@code b[off..]} to a non-blocking descriptor, retrying
     * EINTR. A pipe whose readers are all gone gives EPIPE (the JVM ignores SIGPIPE).
     *
     * @return the count written (possibly short), or {@link #AGAIN}
     * @throws SyscallException EPIPE and any other failure
     */
    public static int write(Fd fd, byte[] b, int off, int len) throws SyscallException {
        return transfer(WriteH.MH, "write", fd, b, off, len);
    }

    /** read(2) or write(2) (the same C shape) on {@code b[off..off+len)}, retrying EINTR. */
    private static int transfer(MethodHandle call, String name, Fd fd, byte[] b, int off, int len)
            throws SyscallException {
        int n = fd.acquire();
        try {
            MemorySegment buf = MemorySegment.ofArray(b).asSlice(off, len);
            MemorySegment st = Native.errnoState();
            while (true) {
                long r = (long) call.invokeExact(st, n, buf, (long) len);
                if (r >= 0) return (int) r;
                int e = Native.errno(st);
                if (e == Errno.EINTR) continue;
                if (e == Errno.EAGAIN) return AGAIN;
                throw Errno.exception(name + "(" + fd + ")", e);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            fd.release();
        }
    }

    /** {@code ioctl(fd, FIONREAD)}: the number of bytes waiting in a pipe right now. */
    public static int available(Fd fd) throws SyscallException {
        int n = fd.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(C_INT);
            MemorySegment st = Native.errnoState();
            int r = (int) IoctlH.MH.invokeExact(st, n, FIONREAD, count);
            if (r != 0) throw Errno.exception("ioctl(" + fd + ", FIONREAD)", Native.errno(st));
            return count.get(C_INT, 0);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            fd.release();
        }
    }
}
