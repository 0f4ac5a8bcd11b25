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
 * {@code prlimit(2)}: reads and sets the resource limits of <em>another</em> process (Linux 2.6.36,
 * glibc 2.13), which is how the jail limits a parked child before it execs its target: Java
 * cannot run code between fork and exec, but the parent can change a live child's limits.
 *
 * <p>Kept apart from any getrlimit/setrlimit binding for the calling process: different callers,
 * different failure modes (ESRCH for a vanished child; EPERM when raising a hard limit without
 * CAP_SYS_RESOURCE, or NOFILE above {@code /proc/sys/fs/nr_open}).
 */
public final class Prlimit {
    private Prlimit() {}

    // Linux resource numbers (asm-generic/resource.h; the same on x86_64 and aarch64).
    public static final int RLIMIT_CPU = 0;
    public static final int RLIMIT_FSIZE = 1;
    public static final int RLIMIT_STACK = 3;
    public static final int RLIMIT_CORE = 4;
    public static final int RLIMIT_NPROC = 6;
    public static final int RLIMIT_NOFILE = 7;
    public static final int RLIMIT_AS = 9;

    /** {@code RLIM_INFINITY}: all ones in the 64-bit {@code rlim_t}. */
    public static final long RLIM_INFINITY = -1L;

    /** {@code struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }}: 16 bytes on 64-bit Linux. */
    public static final StructLayout RLIMIT = MemoryLayout.structLayout(
            C_LONG.withName("rlim_cur"), C_LONG.withName("rlim_max"));

    // int prlimit(pid_t pid, int resource, const struct rlimit *new_limit, struct rlimit *old_limit);
    private static final class PrlimitH {
        static final MethodHandle MH = Native.functionWithErrno("prlimit",
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER, C_POINTER));
    }

    /** A soft and hard limit; {@link #RLIM_INFINITY} means unlimited. */
    public record Limits(long soft, long hard) {}

    /**
     * Sets both limits of {@code resource} for {@code pid} in one call (so lowering the hard limit
     * below the current soft one cannot fail half-way).
     *
     * @throws SyscallException naming pid, resource and values: ESRCH (no such process), EPERM
     *     (raising a hard limit without CAP_SYS_RESOURCE, NOFILE above nr_open), EINVAL (soft &gt; hard)
     */
    public static void set(int pid, int resource, long soft, long hard) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lim = arena.allocate(RLIMIT);
            lim.set(C_LONG, 0, soft);
            lim.set(C_LONG, 8, hard);
            MemorySegment st = Native.errnoState();
            int r = (int) PrlimitH.MH.invokeExact(st, pid, resource, lim, MemorySegment.NULL);
            if (r != 0) {
                throw Errno.exception("prlimit(" + pid + ", " + name(resource) + ", soft=" + text(soft)
                        + ", hard=" + text(hard) + ")", Native.errno(st));
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Reads the limits of {@code resource} for {@code pid} (0: the calling process). */
    public static Limits get(int pid, int resource) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(RLIMIT);
            MemorySegment st = Native.errnoState();
            int r = (int) PrlimitH.MH.invokeExact(st, pid, resource, MemorySegment.NULL, old);
            if (r != 0) {
                throw Errno.exception("prlimit(" + pid + ", " + name(resource) + ")", Native.errno(st));
            }
            return new Limits(old.get(C_LONG, 0), old.get(C_LONG, 8));
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The C name of a resource number, for messages. */
    public static String name(int resource) {
        return switch (resource) {
            case RLIMIT_CPU -> "RLIMIT_CPU";
            case RLIMIT_FSIZE -> "RLIMIT_FSIZE";
            case RLIMIT_STACK -> "RLIMIT_STACK";
            case RLIMIT_CORE -> "RLIMIT_CORE";
            case RLIMIT_NPROC -> "RLIMIT_NPROC";
            case RLIMIT_NOFILE -> "RLIMIT_NOFILE";
            case RLIMIT_AS -> "RLIMIT_AS";
            default -> "resource " + resource;
        };
    }

    private static String text(long v) {
        return v == RLIM_INFINITY ? "unlimited" : Long.toString(v);
    }
}
