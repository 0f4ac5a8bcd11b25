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
 * Bindings for {@code <sys/resource.h>}: resource limits, the one home of the {@code RLIMIT_*}
 * numbers.
 *
 * <ul>
 *   <li>{@link #get(int)} / {@link #set(int, Limit)}: {@code getrlimit}/{@code setrlimit} on the
 *       calling process (the spawn's fd cleanup, the bench).
 *   <li>{@link #prlimit(int, int)} / {@link #prlimit(int, int, long, long)}: {@code prlimit(2)}
 *       on <em>another</em> process (Linux 2.6.36, glibc 2.13), which is how the jail limits a
 *       parked child before it execs its target: Java cannot run code between fork and exec,
 *       but the parent can change a live child's limits. Linux only.
 * </ul>
 *
 * <p>{@code struct rlimit} is two {@code rlim_t} (unsigned 64-bit on Linux and macOS, 64-bit
 * targets): soft limit at 0, hard limit at 8. The limits are process-wide: every thread sees a
 * change, and a child inherits the values in force when it is spawned.
 */
public final class Resource {
    private Resource() {}

    private static final boolean MAC = Platform.current().isMacOs();

    // Resource numbers: Linux asm-generic/resource.h (the same on x86_64 and aarch64); macOS sys/resource.h.
    /** CPU seconds. */
    public static final int RLIMIT_CPU = 0;
    /** Largest file size. */
    public static final int RLIMIT_FSIZE = 1;
    /** Stack size. */
    public static final int RLIMIT_STACK = 3;
    /** Core file size. */
    public static final int RLIMIT_CORE = 4;
    /** Processes (threads on Linux) of the real user. */
    public static final int RLIMIT_NPROC = MAC ? 7 : 6;
    /** Maximum number of open files (one more than the highest descriptor number allowed). */
    public static final int RLIMIT_NOFILE = MAC ? 8 : 7;
    /** Address space. */
    public static final int RLIMIT_AS = MAC ? 5 : 9;

    /** No limit: Linux {@code ~0UL}, macOS {@code (1 << 63) - 1}. */
    public static final long RLIM_INFINITY = MAC ? Long.MAX_VALUE : -1L;

    /** {@code struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }}: 16 bytes. */
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

    // int prlimit(pid_t pid, int resource, const struct rlimit *new_limit, struct rlimit *old_limit);
    private static final class PrlimitH {
        static final MethodHandle MH = Native.functionWithErrno("prlimit",
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER, C_POINTER));
    }

    /** {@code getrlimit(resource)}: this process's limits. */
    public static Limit get(int resource) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(RLIMIT);
            MemorySegment st = Native.errnoState();
            int r = (int) GetrlimitH.MH.invokeExact(st, resource, rl);
            if (r != 0) throw Errno.exception("getrlimit(" + name(resource) + ")", Native.errno(st));
            return read(rl);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code setrlimit(resource, {soft, hard})}: EPERM when raising the hard limit unprivileged, EINVAL when soft > hard. */
    public static void set(int resource, Limit limit) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = write(arena, limit.soft(), limit.hard());
            MemorySegment st = Native.errnoState();
            int r = (int) SetrlimitH.MH.invokeExact(st, resource, rl);
            if (r != 0) {
                throw Errno.exception("setrlimit(" + name(resource) + ", soft " + text(limit.soft())
                        + ", hard " + text(limit.hard()) + ")", Native.errno(st));
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code prlimit(pid, resource, NULL, &old)}: the limits of {@code resource} for {@code pid}
     * (0: the calling process). Linux only.
     *
     * @throws SyscallException naming pid and resource: ESRCH (no such process), EPERM (not ours)
     */
    public static Limit prlimit(int pid, int resource) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(RLIMIT);
            MemorySegment st = Native.errnoState();
            int r = (int) PrlimitH.MH.invokeExact(st, pid, resource, MemorySegment.NULL, old);
            if (r != 0) {
                throw Errno.exception("prlimit(" + pid + ", " + name(resource) + ")", Native.errno(st));
            }
            return read(old);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code prlimit(pid, resource, &{soft, hard}, NULL)}: sets both limits in one call (so
     * lowering the hard limit below the current soft one cannot fail half-way). Linux only.
     *
     * @throws SyscallException naming pid, resource and values: ESRCH (no such process), EPERM
     *     (raising a hard limit without CAP_SYS_RESOURCE, NOFILE above nr_open), EINVAL (soft &gt; hard)
     */
    public static void prlimit(int pid, int resource, long soft, long hard) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment lim = write(arena, soft, hard);
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

    /** The C name of a resource number, for messages. */
    public static String name(int resource) {
        if (resource == RLIMIT_CPU) return "RLIMIT_CPU";
        if (resource == RLIMIT_FSIZE) return "RLIMIT_FSIZE";
        if (resource == RLIMIT_STACK) return "RLIMIT_STACK";
        if (resource == RLIMIT_CORE) return "RLIMIT_CORE";
        if (resource == RLIMIT_NPROC) return "RLIMIT_NPROC";
        if (resource == RLIMIT_NOFILE) return "RLIMIT_NOFILE";
        if (resource == RLIMIT_AS) return "RLIMIT_AS";
        return "resource " + resource;
    }

    private static Limit read(MemorySegment rl) {
        return new Limit(rl.get(C_LONG, 0), rl.get(C_LONG, 8));
    }

    private static MemorySegment write(Arena arena, long soft, long hard) {
        MemorySegment rl = arena.allocate(RLIMIT);
        rl.set(C_LONG, 0, soft);
        rl.set(C_LONG, 8, hard);
        return rl;
    }

    private static String text(long v) {
        return v == RLIM_INFINITY ? "unlimited" : Long.toUnsignedString(v);
    }
}
