package io.procwarden.cli;

import io.procwarden.TerminalSize;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * procwarden's own terminal: whether a descriptor is one, its window size, and raw mode with
 * the saved settings put back on {@link #close()}. A few {@code <termios.h>} calls through
 * {@code java.lang.foreign} (the CLI, on the class path, cannot reach the core's bindings).
 *
 * <p>{@code struct termios} is handled as opaque bytes (60 on glibc x86_64, 72 on macOS):
 * {@code cfmakeraw} edits it, so no field offset is needed; 256 bytes leave room on any system.
 */
final class TerminalMode implements AutoCloseable {
    private static final boolean MAC = System.getProperty("os.name", "").toLowerCase().contains("mac");
    private static final long TIOCGWINSZ = MAC ? 0x40087468L : 0x5413L;
    private static final int TCSADRAIN = 1;
    private static final long TERMIOS_BYTES = 256;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle ISATTY = function("isatty", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    private static final MethodHandle TCGETATTR = function("tcgetattr", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final java.lang.invoke.VarHandle ERRNO_VALUE = Linker.Option.captureStateLayout()
            .varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final int EINTR = 4;
    // int tcsetattr(int fd, int when, const struct termios *t), errno captured: TCSADRAIN waits, a signal can cut it short
    private static final MethodHandle TCSETATTR = LINKER.downcallHandle(LINKER.defaultLookup().find("tcsetattr")
            .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS), ERRNO);
    private static final MethodHandle CFMAKERAW = function("cfmakeraw", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(2));

    private final int fd;
    private final MemorySegment saved;
    private boolean restored; // guarded by this

    private TerminalMode(int fd, MemorySegment saved) {
        this.fd = fd;
        this.saved = saved;
    }

    private static MethodHandle function(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(
                () -> new IllegalStateException("no " + name + " in the C library")), d);
    }

    /** True if {@code fd} is a terminal. */
    static boolean isTerminal(int fd) {
        try {
            return (int) ISATTY.invokeExact(fd) == 1;
        } catch (Throwable t) {
            throw new IllegalStateException("isatty(" + fd + ")", t);
        }
    }

    /** The window size of the terminal on {@code fd}; empty if it is none or reports 0x0. */
    static Optional<TerminalSize> size(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(8, 2);
            if ((int) IOCTL.invokeExact(fd, TIOCGWINSZ, ws) != 0) return Optional.empty();
            int rows = Short.toUnsignedInt(ws.get(ValueLayout.JAVA_SHORT, 0));
            int cols = Short.toUnsignedInt(ws.get(ValueLayout.JAVA_SHORT, 2));
            return rows > 0 && cols > 0 ? Optional.of(new TerminalSize(cols, rows)) : Optional.empty();
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl(" + fd + ", TIOCGWINSZ)", t);
        }
    }

    /**
     * Puts the terminal on {@code fd} into raw mode (no echo, no line editing, no signals from
     * keys, no output processing: every byte goes to the child's terminal, which does all that).
     *
     * @throws IllegalStateException naming the call that failed; the terminal is then unchanged
     */
    static TerminalMode raw(int fd) {
        TerminalMode mode = save(fd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate(TERMIOS_BYTES, 8);
            raw.copyFrom(mode.saved);
            CFMAKERAW.invokeExact(raw);
            int errno = set(fd, raw);
            if (errno != 0) throw new IllegalStateException("tcsetattr(" + fd + ", raw) failed: errno " + errno);
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("raw mode on fd " + fd, t);
        }
        return mode;
    }

    /**
     * The terminal's settings on {@code fd} as they are now, unchanged; {@link #close()} puts them back.
     *
     * @throws IllegalStateException naming the call that failed
     */
    static TerminalMode save(int fd) {
        Arena arena = Arena.ofAuto(); // the saved settings live as long as this object
        MemorySegment saved = arena.allocate(TERMIOS_BYTES, 8);
        try {
            if ((int) TCGETATTR.invokeExact(fd, saved) != 0) throw new IllegalStateException("tcgetattr(" + fd + ") failed");
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("tcgetattr(" + fd + ")", t);
        }
        return new TerminalMode(fd, saved);
    }

    /** Puts the saved settings back; idempotent, from any thread (a shutdown hook too). */
    @Override
    public synchronized void close() {
        if (restored) return;
        restored = true;
        try {
            int errno = set(fd, saved);
            if (errno != 0) System.err.println("procwarden: cannot restore the terminal settings of fd " + fd + ": errno " + errno);
        } catch (Throwable t) {
            System.err.println("procwarden: cannot restore the terminal settings of fd " + fd + ": " + t);
        }
    }

    /** tcsetattr(TCSADRAIN), retried on EINTR; 0 or the errno. */
    private static int set(int fd, MemorySegment termios) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            while (true) {
                if ((int) TCSETATTR.invokeExact(state, fd, TCSADRAIN, termios) == 0) return 0;
                int errno = (int) ERRNO_VALUE.get(state, 0L);
                if (errno != EINTR) return errno;
            }
        }
    }
}
