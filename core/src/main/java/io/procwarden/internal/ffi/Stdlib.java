package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;
import static io.procwarden.internal.ffi.Native.C_LONG;
import static io.procwarden.internal.ffi.Native.C_POINTER;

import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code <stdlib.h>}: the pseudo-terminal calls, posix_openpt, grantpt, unlockpt and ptsname_r
 * (glibc; macOS since 10.13.4).
 */
public final class Stdlib {
    private Stdlib() {}

    private static final boolean MAC = Platform.current().isMacOs();

    private static final class OpenptH {
        static final MethodHandle MH = Native.functionWithErrno("posix_openpt", FunctionDescriptor.of(C_INT, C_INT));
    }

    private static final class GrantptH {
        static final MethodHandle MH = Native.functionWithErrno("grantpt", FunctionDescriptor.of(C_INT, C_INT));
    }

    private static final class UnlockptH {
        static final MethodHandle MH = Native.functionWithErrno("unlockpt", FunctionDescriptor.of(C_INT, C_INT));
    }

    private static final class PtsnameH {
        static final MethodHandle MH = Native.functionWithErrno("ptsname_r",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_LONG));
    }

    /**
     * A new pseudo-terminal master, read-write, not our controlling terminal, close-on-exec
     * (glibc passes O_CLOEXEC on to open(2); macOS refuses it, so there FD_CLOEXEC is set after).
     */
    public static Fd openMaster() throws SyscallException {
        int flags = Unistd.O_RDWR | Unistd.O_NOCTTY | (MAC ? 0 : Unistd.O_CLOEXEC);
        try {
            MemorySegment st = Native.errnoState();
            int r;
            do {
                r = (int) OpenptH.MH.invokeExact(st, flags);
            } while (r < 0 && Native.errno(st) == Errno.EINTR);
            if (r < 0) throw Errno.exception("posix_openpt(O_RDWR | O_NOCTTY)", Native.errno(st));
            Fd master = Fd.adopt(r, "pty master");
            if (MAC) {
                try {
                    Unistd.setCloexec(master);
                } catch (SyscallException | RuntimeException e) {
                    master.close();
                    throw e;
                }
            }
            return master;
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** grantpt then unlockpt: the slave may be opened from now on. */
    public static void unlock(Fd master) throws SyscallException {
        int n = master.acquire();
        try {
            MemorySegment st = Native.errnoState();
            if ((int) GrantptH.MH.invokeExact(st, n) != 0) {
                throw Errno.exception("grantpt(" + master + ")", Native.errno(st));
            }
            if ((int) UnlockptH.MH.invokeExact(st, n) != 0) {
                throw Errno.exception("unlockpt(" + master + ")", Native.errno(st));
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            master.release();
        }
    }

    /** The slave's path, e.g. {@code /dev/pts/3}. */
    public static String slaveName(Fd master) throws SyscallException {
        int n = master.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            MemorySegment st = Native.errnoState();
            int r = (int) PtsnameH.MH.invokeExact(st, n, buf, 256L);
            // glibc returns the error number; macOS returns -1 and sets errno.
            if (r != 0) throw Errno.exception("ptsname_r(" + master + ")", r > 0 ? r : Native.errno(st));
            return buf.getString(0);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            master.release();
        }
    }
}
