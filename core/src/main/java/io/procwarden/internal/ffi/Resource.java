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
import java.lang.invoke.MethodHandle;

/**
 * Bindings for {@code <sys/resource.h>}: resource limits.
 *
 * <p>{@code struct rlimit} is two {@code rlim_t} (unsigned 64-bit on Linux and macOS, 64-bit
 * targets): soft limit at 0, hard limit at 8. The limits are process-wide: every thread sees a
 * change, and a child inherits the values in force when it is spawned.
 */
public final class Resource {
    private Resource() {}

    private static final boolean MAC = Platform.current().isMacOs();

    /** Maximum number of open files (one more than the highest descriptor number allowed). */
    public static final int RLIMIT_NOFILE = MAC ? 8 : 7;
    /** No limit: Linux {@code ~0UL}, macOS {@code (1 << 63) - 1}. */
    public static final long RLIM_INFINITY = MAC ? Long.MAX_VALUE : -1L;

    public static final StructLayout RLIMIT = MemoryLayout.structLayout(
            C_LONG.withName("rlim_cur"),
            C_LONG.withName("rlim_max"));

    /** A soft and hard limit; {@link #RLIM_INFINITY} (negative as a Java long on Linux) means none. */
    public record Limit(long soft, long hard) {
        /** The soft limit as a descriptor bound: infinity becomes {@code Long.MAX_VALUE}. */
        public long softBound() {
            return soft == RLIM_INFINITY || soft < 0 ? Long.MAX_VALUE : soft;
        }

        /** The hard limit as a descriptor bound: infinity becomes {@code Long.MAX_VALUE}. */
        public long hardBound() {
            return hard == RLIM_INFINITY || hard < 0 ? Long.MAX_VALUE : hard;
        }
    }

    // int getrlimit(int resource, struct rlimit *rlim);
    private static final class GetrlimitH {
        static final MethodHandle MH =
                Native.functionWithErrno("getrlimit", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
    }

    // int setrlimit(int resource, const struct rlimit *rlim);
    private static final class SetrlimitH {
        static final MethodHandle MH =
                Native.functionWithErrno("setrlimit", FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
    }

    /** {@code getrlimit(resource)}. */
    public static Limit get(int resource) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(RLIMIT);
            MemorySegment st = Native.errnoState();
            int r = (int) GetrlimitH.MH.invokeExact(st, resource, rl);
            if (r != 0) throw Errno.exception("getrlimit(" + resource + ")", Native.errno(st));
            return new Limit(rl.get(C_LONG, 0), rl.get(C_LONG, 8));
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code setrlimit(resource, {soft, hard})}: EPERM when raising the hard limit unprivileged, EINVAL when soft > hard. */
    public static void set(int resource, Limit limit) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(RLIMIT);
            rl.set(C_LONG, 0, limit.soft());
            rl.set(C_LONG, 8, limit.hard());
            MemorySegment st = Native.errnoState();
            int r = (int) SetrlimitH.MH.invokeExact(st, resource, rl);
            if (r != 0) {
                throw Errno.exception("setrlimit(" + resource + ", soft " + limit.soft() + ", hard " + limit.hard() + ")",
                        Native.errno(st));
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
