package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;

import io.procwarden.SyscallException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** Bindings for {@code <signal.h>}: signalling by pid (for the cases a pidfd cannot serve). */
public final class Signals {
    private Signals() {}

    // int kill(pid_t pid, int sig);
    private static final class KillH {
        static final MethodHandle MH = Native.functionWithErrno("kill", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    }

    /**
     * {@code kill(pid, sig)}: a negative pid signals a process group. Only safe for a pid that
     * cannot have been recycled (our unreaped child, or a group it leads while it is unreaped).
     *
     * @return false on ESRCH (no such process or group)
     * @throws SyscallException any other failure (EPERM, EINVAL)
     */
    public static boolean kill(int pid, int signal) throws SyscallException {
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) KillH.MH.invokeExact(st, pid, signal);
            if (r == 0) return true;
            int e = Native.errno(st);
            if (e == Errno.ESRCH) return false;
            throw Errno.exception("kill(" + pid + ", " + signal + ")", e);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
