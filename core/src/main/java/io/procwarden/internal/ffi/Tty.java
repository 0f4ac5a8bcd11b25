package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;
import static io.procwarden.internal.ffi.Native.C_POINTER;

import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Job control on a terminal ({@code <unistd.h>}, {@code <termios.h>}): this process's group, the
 * terminal's foreground group, and the terminal's settings as opaque bytes.
 *
 * <p>{@code struct termios} is never looked into (60 bytes on glibc x86_64, 72 on macOS): it is
 * saved and put back whole, in a buffer of {@value #TERMIOS_BYTES} bytes that fits any of them.
 */
public final class Tty {
    private Tty() {}

    private static final boolean MAC = Platform.current().isMacOs();
    private static final int TCSANOW = 0;
    private static final int SIG_BLOCK = MAC ? 1 : 0;
    private static final int SIG_SETMASK = MAC ? 3 : 2;
    private static final int SIGTTOU = 22; // Linux and macOS
    static final int TERMIOS_BYTES = 256;

    private static final class H {
        static final MethodHandle GETPGRP = Native.function("getpgrp", FunctionDescriptor.of(C_INT));
        static final MethodHandle TCGETPGRP = Native.functionWithErrno("tcgetpgrp", FunctionDescriptor.of(C_INT, C_INT));
        static final MethodHandle TCSETPGRP = Native.functionWithErrno("tcsetpgrp",
                FunctionDescriptor.of(C_INT, C_INT, C_INT));
        static final MethodHandle TCGETATTR = Native.functionWithErrno("tcgetattr",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER));
        static final MethodHandle TCSETATTR = Native.functionWithErrno("tcsetattr",
                FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER));
        static final MethodHandle SIGADDSET = Native.function("sigaddset", FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
        // returns the error number, not -1 and errno
        static final MethodHandle PTHREAD_SIGMASK = Native.function("pthread_sigmask",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    }

    /** This process's process group. */
    public static int processGroup() {
        try {
            return (int) H.GETPGRP.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The terminal's foreground process group ({@code tcgetpgrp}). */
    public static int foregroundGroup(Fd tty) throws SyscallException {
        int n = tty.acquire();
        try {
            MemorySegment st = Native.errnoState();
            int r = (int) H.TCGETPGRP.invokeExact(st, n);
            if (r < 0) throw Errno.exception("tcgetpgrp(" + tty + ")", Native.errno(st));
            return r;
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            tty.release();
        }
    }

    /**
     * Makes {@code pgrp} the terminal's foreground group ({@code tcsetpgrp}). A caller that is not
     * in the foreground itself would be sent SIGTTOU (which stops the whole JVM) unless the
     * signal is blocked, so it is blocked in this thread for the call: then the kernel allows it.
     */
    public static void setForegroundGroup(Fd tty, int pgrp) throws SyscallException {
        int n = tty.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = Spawn.emptySigset(arena);
            MemorySegment old = Spawn.emptySigset(arena);
            if ((int) H.SIGADDSET.invokeExact(block, SIGTTOU) != 0) throw new IllegalStateException("sigaddset(SIGTTOU)");
            int e = (int) H.PTHREAD_SIGMASK.invokeExact(SIG_BLOCK, block, old);
            if (e != 0) throw Errno.exception("pthread_sigmask(SIG_BLOCK, SIGTTOU)", e);
            try {
                MemorySegment st = Native.errnoState();
                int r;
                do {
                    r = (int) H.TCSETPGRP.invokeExact(st, n, pgrp);
                } while (r != 0 && Native.errno(st) == Errno.EINTR);
                if (r != 0) throw Errno.exception("tcsetpgrp(" + tty + ", " + pgrp + ")", Native.errno(st));
            } finally {
                int back = (int) H.PTHREAD_SIGMASK.invokeExact(SIG_SETMASK, old, MemorySegment.NULL);
                if (back != 0) throw Errno.exception("pthread_sigmask(SIG_SETMASK)", back);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            tty.release();
        }
    }

    /** The terminal's settings ({@code tcgetattr}), as opaque bytes for {@link #setAttributes}. */
    public static byte[] attributes(Fd tty) throws SyscallException {
        int n = tty.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = arena.allocate(TERMIOS_BYTES, 8);
            MemorySegment st = Native.errnoState();
            int r = (int) H.TCGETATTR.invokeExact(st, n, t);
            if (r != 0) throw Errno.exception("tcgetattr(" + tty + ")", Native.errno(st));
            return t.toArray(ValueLayout.JAVA_BYTE);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            tty.release();
        }
    }

    /**
     * Puts settings from {@link #attributes} back ({@code tcsetattr(TCSANOW)}). Not TCSADRAIN: it
     * waits until the output has been sent, which a stalled terminal (XOFF, a paused emulator)
     * can hold up for ever, and the monitor loop's thread calls this. Retried on EINTR.
     */
    public static void setAttributes(Fd tty, byte[] settings) throws SyscallException {
        int n = tty.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = arena.allocate(TERMIOS_BYTES, 8);
            MemorySegment.copy(settings, 0, t, ValueLayout.JAVA_BYTE, 0, Math.min(settings.length, TERMIOS_BYTES));
            MemorySegment st = Native.errnoState();
            int r;
            do {
                r = (int) H.TCSETATTR.invokeExact(st, n, TCSANOW, t);
            } while (r != 0 && Native.errno(st) == Errno.EINTR);
            if (r != 0) throw Errno.exception("tcsetattr(" + tty + ")", Native.errno(st));
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            tty.release();
        }
    }
}
