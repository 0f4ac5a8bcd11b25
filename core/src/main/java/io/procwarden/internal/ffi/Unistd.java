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

/** Bindings for {@code <unistd.h>} and {@code <fcntl.h>}: descriptors, pipes, pids. */
public final class Unistd {
    private Unistd() {}

    private static final boolean LINUX = Platform.current().isLinux();

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = LINUX ? 0100 : 0x200;
    public static final int O_TRUNC = LINUX ? 01000 : 0x400;
    public static final int O_APPEND = LINUX ? 02000 : 0x8;
    public static final int O_NONBLOCK = LINUX ? 04000 : 0x4;
    public static final int O_DIRECTORY = LINUX ? 0200000 : 0x100000;
    public static final int O_CLOEXEC = LINUX ? 02000000 : 0x1000000;
    public static final int O_NOCTTY = LINUX ? 0400 : 0x20000;

    public static final int F_DUPFD = 0;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;
    public static final int F_DUPFD_CLOEXEC = Platform.current().isMacOs() ? 67 : 1030;

    // int close(int fd);
    private static final class CloseH {
        static final MethodHandle MH = Native.functionWithErrno("close", FunctionDescriptor.of(C_INT, C_INT));
    }

    // ssize_t read(int fd, void *buf, size_t count);
    private static final class ReadH {
        static final MethodHandle MH =
                Native.functionWithErrno("read", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    }

    // ssize_t write(int fd, const void *buf, size_t count);
    private static final class WriteH {
        static final MethodHandle MH =
                Native.functionWithErrno("write", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG));
    }

    // pid_t getpid(void);
    private static final class GetpidH {
        static final MethodHandle MH = Native.function("getpid", FunctionDescriptor.of(C_INT));
    }

    // int pipe2(int pipefd[2], int flags);  (Linux)    int pipe(int pipefd[2]);  (macOS)
    private static final class PipeH {
        static final MethodHandle MH = LINUX
                ? Native.functionWithErrno("pipe2", FunctionDescriptor.of(C_INT, C_POINTER, C_INT))
                : Native.functionWithErrno("pipe", FunctionDescriptor.of(C_INT, C_POINTER));
    }

    // int fcntl(int fd, int cmd, ... /* arg */);  variadic: the optional arg is passed as a 64-bit slot
    private static final class FcntlH {
        static final MethodHandle MH = Native.functionWithErrno(
                "fcntl", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_LONG), Linker.Option.firstVariadicArg(2));
    }

    // int open(const char *pathname, int flags, ... /* mode_t mode */);
    private static final class OpenH {
        static final MethodHandle MH = Native.functionWithErrno(
                "open", FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_LONG), Linker.Option.firstVariadicArg(2));
    }

    // int dup(int oldfd);
    private static final class DupH {
        static final MethodHandle MH = Native.functionWithErrno("dup", FunctionDescriptor.of(C_INT, C_INT));
    }

    /** Links close(2) now (see {@link Fd}). */
    static void linkClose() {
        CloseH.MH.type();
    }

    /** close(2) without retry; returns 0 or the errno. Used only by {@link Fd}. */
    static int closeRaw(int fd) {
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) CloseH.MH.invokeExact(st, fd);
            return r == 0 ? 0 : Native.errno(st);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The calling process's pid. */
    public static int getpid() {
        try {
            return (int) GetpidH.MH.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * read(2), retried on EINTR. Returns the byte count, 0 at end of file, or -1 for EAGAIN on a
     * non-blocking descriptor.
     */
    public static long read(Fd fd, MemorySegment buf, long count) throws SyscallException {
        int n = fd.acquire();
        try {
            MemorySegment st = Native.errnoState();
            while (true) {
                long r = (long) ReadH.MH.invokeExact(st, n, buf, count);
                if (r >= 0) return r;
                int e = Native.errno(st);
                if (e == Errno.EINTR) continue;
                if (e == Errno.EAGAIN) return -1;
                throw Errno.exception("read(" + fd + ")", e);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            fd.release();
        }
    }

    /**
     * write(2), retried on EINTR. Returns the byte count written (possibly short), or -1 for EAGAIN
     * on a non-blocking descriptor.
     */
    public static long write(Fd fd, MemorySegment buf, long count) throws SyscallException {
        int n = fd.acquire();
        try {
            MemorySegment st = Native.errnoState();
            while (true) {
                long r = (long) WriteH.MH.invokeExact(st, n, buf, count);
                if (r >= 0) return r;
                int e = Native.errno(st);
                if (e == Errno.EINTR) continue;
                if (e == Errno.EAGAIN) return -1;
                throw Errno.exception("write(" + fd + ")", e);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            fd.release();
        }
    }

    /** A close-on-exec pipe: element 0 reads, element 1 writes. */
    public static Fd[] pipe() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(C_INT, 2);
            MemorySegment st = Native.errnoState();
            int r = LINUX ? (int) PipeH.MH.invokeExact(st, fds, O_CLOEXEC) : (int) PipeH.MH.invokeExact(st, fds);
            if (r != 0) {
                throw Errno.exception(LINUX ? "pipe2(O_CLOEXEC)" : "pipe", Native.errno(st));
            }
            Fd read = Fd.adopt(fds.getAtIndex(C_INT, 0), "pipe read end");
            Fd write = Fd.adopt(fds.getAtIndex(C_INT, 1), "pipe write end");
            if (!LINUX) {
                // macOS has no pipe2: a concurrent spawn could copy these before FD_CLOEXEC is set,
                // which is why spawn there uses POSIX_SPAWN_CLOEXEC_DEFAULT.
                try {
                    setCloexec(read);
                    setCloexec(write);
                } catch (SyscallException e) {
                    read.close();
                    write.close();
                    throw e;
                }
            }
            return new Fd[] {read, write};
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Opens a path; the descriptor is always close-on-exec. */
    public static Fd open(String path, int flags, int mode) throws SyscallException {
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path contains NUL: " + path.replace("\0", "\\0"));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = Native.cString(arena, path);
            MemorySegment st = Native.errnoState();
            while (true) {
                int r = (int) OpenH.MH.invokeExact(st, cpath, flags | O_CLOEXEC, (long) mode);
                if (r >= 0) return Fd.adopt(r, path);
                int e = Native.errno(st);
                if (e != Errno.EINTR) throw Errno.exception("open(\"" + path + "\")", e);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** dup(2): a second descriptor for the same open file; NOT close-on-exec. */
    public static Fd dup(Fd fd) throws SyscallException {
        int n = fd.acquire();
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) DupH.MH.invokeExact(st, n);
            if (r < 0) throw Errno.exception("dup(" + fd + ")", Native.errno(st));
            return Fd.adopt(r, "dup of " + fd);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            fd.release();
        }
    }

    /** A close-on-exec duplicate with the lowest free number at or above {@code min} (F_DUPFD_CLOEXEC). */
    public static Fd dupCloexecAbove(Fd fd, int min) throws SyscallException {
        return Fd.adopt(fcntl(fd, F_DUPFD_CLOEXEC, min), "dup of " + fd);
    }

    /** A duplicate WITHOUT close-on-exec at the lowest free number at or above {@code min} (F_DUPFD). */
    public static Fd dupAbove(Fd fd, int min) throws SyscallException {
        return Fd.adopt(fcntl(fd, F_DUPFD, min), "inheritable dup of " + fd);
    }

    /**
     * A close-on-exec duplicate of a descriptor this process has but we do not own (a number the
     * user named, e.g. a socket to pass to a child). The original stays the caller's.
     *
     * @throws SyscallException EBADF if {@code number} is not open
     */
    public static Fd dupBorrowed(int number, int min, String what) throws SyscallException {
        return Fd.adopt(fcntlNumber(number, what, F_DUPFD_CLOEXEC, min), "dup of " + what);
    }

    /** fcntl(2) with an integer argument (or none: pass 0). */
    public static int fcntl(Fd fd, int cmd, int arg) throws SyscallException {
        int n = fd.acquire();
        try {
            return fcntlNumber(n, fd, cmd, arg);
        } finally {
            fd.release();
        }
    }

    // what: the Fd or a description, turned into text only for an error message
    private static int fcntlNumber(int n, Object what, int cmd, int arg) throws SyscallException {
        try {
            MemorySegment st = Native.errnoState();
            while (true) {
                int r = (int) FcntlH.MH.invokeExact(st, n, cmd, (long) arg);
                if (r >= 0) return r;
                int e = Native.errno(st);
                if (e != Errno.EINTR) throw Errno.exception("fcntl(" + what + ", " + cmd + ")", e);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Adds O_NONBLOCK, keeping the other status flags (F_GETFL, then F_SETFL with the union). */
    public static void setNonBlocking(Fd fd) throws SyscallException {
        int flags = fcntl(fd, F_GETFL, 0);
        if ((flags & O_NONBLOCK) == 0) {
            fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        }
    }

    /** Adds FD_CLOEXEC, keeping the other descriptor flags. */
    public static void setCloexec(Fd fd) throws SyscallException {
        int flags = fcntl(fd, F_GETFD, 0);
        if ((flags & FD_CLOEXEC) == 0) {
            fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
}
