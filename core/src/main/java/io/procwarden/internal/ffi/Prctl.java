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
 * Bindings for {@code <sys/prctl.h>} (Linux): the child subreaper attribute (Linux 3.4). A
 * subreaper adopts the orphaned descendants of its children instead of init; the attribute
 * belongs to the whole process and is not inherited by children.
 */
public final class Prctl {
    private Prctl() {}

    public static final int PR_SET_CHILD_SUBREAPER = 36;
    public static final int PR_GET_CHILD_SUBREAPER = 37;

    // int prctl(int option, ...);  variadic: unsigned long arg2..arg5, passed as 64-bit slots
    private static final class PrctlH {
        static final MethodHandle MH = Native.functionWithErrno("prctl",
                FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_LONG, C_LONG, C_LONG), Linker.Option.firstVariadicArg(1));
    }

    // int prctl(PR_GET_CHILD_SUBREAPER, int *arg2)
    private static final class PrctlPtrH {
        static final MethodHandle MH = Native.functionWithErrno("prctl",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_LONG, C_LONG, C_LONG), Linker.Option.firstVariadicArg(1));
    }

    /** {@code prctl(PR_SET_CHILD_SUBREAPER, on)} for this process. */
    public static void setChildSubreaper(boolean on) throws SyscallException {
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) PrctlH.MH.invokeExact(st, PR_SET_CHILD_SUBREAPER, on ? 1L : 0L, 0L, 0L, 0L);
            if (r != 0) throw Errno.exception("prctl(PR_SET_CHILD_SUBREAPER, " + (on ? 1 : 0) + ")", Native.errno(st));
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code prctl(PR_GET_CHILD_SUBREAPER, &value)}: whether this process is a child subreaper. */
    public static boolean isChildSubreaper() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(C_INT);
            MemorySegment st = Native.errnoState();
            int r = (int) PrctlPtrH.MH.invokeExact(st, PR_GET_CHILD_SUBREAPER, value, 0L, 0L, 0L);
            if (r != 0) throw Errno.exception("prctl(PR_GET_CHILD_SUBREAPER)", Native.errno(st));
            return value.get(C_INT, 0) != 0;
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
