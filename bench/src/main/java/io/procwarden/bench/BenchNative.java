package io.procwarden.bench;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Native;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/** The few libc calls the harness needs that the core does not bind (glibc, Linux x86_64/aarch64). */
final class BenchNative {
    private BenchNative() {}

    /** RLIMIT_NOFILE on Linux. */
    private static final int RLIMIT_NOFILE = 7;

    // const char *gnu_get_libc_version(void);
    private static final class LibcVersionH {
        static final MethodHandle MH = Native.function("gnu_get_libc_version", FunctionDescriptor.of(Native.C_POINTER));
    }

    // int getrlimit(int resource, struct rlimit *rlim);  struct rlimit { rlim_t rlim_cur, rlim_max; } (2 x 8 bytes)
    private static final class GetrlimitH {
        static final MethodHandle MH = Native.functionWithErrno("getrlimit",
                FunctionDescriptor.of(Native.C_INT, Native.C_INT, Native.C_POINTER));
    }

    // int setrlimit(int resource, const struct rlimit *rlim);
    private static final class SetrlimitH {
        static final MethodHandle MH = Native.functionWithErrno("setrlimit",
                FunctionDescriptor.of(Native.C_INT, Native.C_INT, Native.C_POINTER));
    }

    /** The glibc version string ("2.36"), or "not glibc" when the symbol is missing. */
    @SuppressWarnings("restricted") // reinterpret: the C string returned by glibc is static and NUL-terminated
    static String glibcVersion() {
        if (Native.find("gnu_get_libc_version").isEmpty()) {
            return "not glibc";
        }
        try {
            MemorySegment s = (MemorySegment) LibcVersionH.MH.invokeExact();
            return s.reinterpret(64).getString(0, StandardCharsets.US_ASCII);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** RLIMIT_NOFILE as {soft, hard}. */
    static long[] nofileLimit() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(16, 8);
            MemorySegment st = Native.errnoState();
            int r = (int) GetrlimitH.MH.invokeExact(st, RLIMIT_NOFILE, rl);
            if (r != 0) throw Errno.exception("getrlimit(RLIMIT_NOFILE)", Native.errno(st));
            return new long[] {rl.get(ValueLayout.JAVA_LONG, 0), rl.get(ValueLayout.JAVA_LONG, 8)};
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Raises the soft RLIMIT_NOFILE to at least {@code wanted} (never above the hard limit, never
     * lowering it). Returns the soft limit now in force.
     */
    static long raiseNofileSoftLimit(long wanted) throws SyscallException {
        long[] cur = nofileLimit();
        long hard = cur[1];
        if (cur[0] >= wanted) return cur[0];
        long target = Math.min(wanted, hard);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(16, 8);
            rl.set(ValueLayout.JAVA_LONG, 0, target);
            rl.set(ValueLayout.JAVA_LONG, 8, hard);
            MemorySegment st = Native.errnoState();
            int r = (int) SetrlimitH.MH.invokeExact(st, RLIMIT_NOFILE, rl);
            if (r != 0) throw Errno.exception("setrlimit(RLIMIT_NOFILE, " + target + ")", Native.errno(st));
            return target;
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
