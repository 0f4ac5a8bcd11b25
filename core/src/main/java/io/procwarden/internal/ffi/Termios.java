package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;
import static io.procwarden.internal.ffi.Native.C_LONG;
import static io.procwarden.internal.ffi.Native.C_POINTER;
import static io.procwarden.internal.ffi.Native.C_SHORT;

import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The terminal's window size: {@code TIOCGWINSZ} and {@code TIOCSWINSZ} ({@code <termios.h>} /
 * {@code <sys/ioctl.h>}) with {@code struct winsize} (four unsigned shorts: rows, columns,
 * x and y pixels; the same on Linux and macOS).
 */
public final class Termios {
    private Termios() {}

    private static final boolean MAC = Platform.current().isMacOs();
    private static final long TIOCGWINSZ = MAC ? 0x40087468L : 0x5413L;
    private static final long TIOCSWINSZ = MAC ? 0x80087467L : 0x5414L;

    private static final class IoctlH {
        static final MethodHandle MH = Native.functionWithErrno("ioctl",
                FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_POINTER), Linker.Option.firstVariadicArg(2));
    }

    /**
     * Sets the window size. Linux and macOS then send SIGWINCH to the terminal's foreground
     * process group themselves, if the size changed.
     */
    public static void setWindowSize(Fd fd, int rows, int columns) throws SyscallException {
        int n = fd.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(8, 2);
            ws.set(C_SHORT, 0, (short) rows);
            ws.set(C_SHORT, 2, (short) columns);
            MemorySegment st = Native.errnoState();
            int r;
            do {
                r = (int) IoctlH.MH.invokeExact(st, n, TIOCSWINSZ, ws);
            } while (r != 0 && Native.errno(st) == Errno.EINTR);
            if (r != 0) {
                throw Errno.exception("ioctl(" + fd + ", TIOCSWINSZ, " + columns + "x" + rows + ")", Native.errno(st));
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            fd.release();
        }
    }

    /** The window size as {rows, columns}. */
    public static int[] windowSize(Fd fd) throws SyscallException {
        int n = fd.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(8, 2);
            MemorySegment st = Native.errnoState();
            int r = (int) IoctlH.MH.invokeExact(st, n, TIOCGWINSZ, ws);
            if (r != 0) throw Errno.exception("ioctl(" + fd + ", TIOCGWINSZ)", Native.errno(st));
            return new int[] {Short.toUnsignedInt(ws.get(C_SHORT, 0)), Short.toUnsignedInt(ws.get(C_SHORT, 2))};
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            fd.release();
        }
    }
}
