package io.procwarden.bench;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Native;
import io.procwarden.internal.ffi.Resource;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The harness's own machine set-up: the glibc version, and RLIMIT_NOFILE through the core's
 * {@code <sys/resource.h>} binding (the one home of the rlimit numbers; reached through the
 * bench's one hook, see {@code module-info.java}).
 */
final class BenchNative {
    private BenchNative() {}

    // const char *gnu_get_libc_version(void);
    private static final class LibcVersionH {
        static final MethodHandle MH = Native.function("gnu_get_libc_version", FunctionDescriptor.of(Native.C_POINTER));
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

    /** RLIMIT_NOFILE of this process. */
    static Resource.Limit nofileLimit() throws SyscallException {
        return Resource.get(Resource.RLIMIT_NOFILE);
    }

    /**
     * Raises the soft RLIMIT_NOFILE to at least {@code wanted} (never above the hard limit, never
     * lowering it). Returns the soft limit now in force.
     */
    static long raiseNofileSoftLimit(long wanted) throws SyscallException {
        Resource.Limit cur = nofileLimit();
        if (cur.softBound() >= wanted) return cur.soft();
        long target = Math.min(wanted, cur.hardBound());
        Resource.set(Resource.RLIMIT_NOFILE, new Resource.Limit(target, cur.hard()));
        return target;
    }
}
