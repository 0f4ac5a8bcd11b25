package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Raw Linux system calls for what older C libraries do not wrap.
 *
 * <p>Since Linux 5.1 new system calls have one number on every architecture, so these are the
 * same on x86_64 and aarch64: pidfd_send_signal 424 (5.1), pidfd_open 434 (5.3), clone3 435
 * (5.3), close_range 436 (5.9). glibc 2.36 wraps some of them, but we support older ones.
 */
public final class Syscalls {
    private Syscalls() {}

    public static final long SYS_PIDFD_SEND_SIGNAL = 424;
    public static final long SYS_PIDFD_OPEN = 434;
    public static final long SYS_CLOSE_RANGE = 436;

    /** Result of a raw call: the return value, or -1 with the errno. */
    public record Result(long value, int errno) {
        public boolean failed() {
            return value == -1;
        }
    }

    // long syscall(long number, ...);  variadic integers are passed as 64-bit values
    private static final class SyscallH {
        static final MethodHandle MH = Native.functionWithErrno("syscall",
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    /** Calls {@code syscall(number, a, b, c, d, 0, 0)}. */
    public static Result call(long number, long a, long b, long c, long d) {
        return call(number, a, b, c, d, 0, 0);
    }

    /**
     * Calls {@code syscall(number, a, b, c, d, e, f)}. Unused arguments are passed as 0: some
     * calls (prctl) reject garbage in arguments they do not use.
     */
    public static Result call(long number, long a, long b, long c, long d, long e, long f) {
        if (!Platform.current().isLinux()) {
            return new Result(-1, Errno.ENOSYS);
        }
        try {
            MemorySegment st = Native.errnoState();
            long r = (long) SyscallH.MH.invokeExact(st, number, a, b, c, d, e, f);
            return new Result(r, r == -1 ? Native.errno(st) : 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
