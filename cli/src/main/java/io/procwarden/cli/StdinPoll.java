package io.procwarden.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Waits until procwarden's stdin has input, or until {@link #wake()}: poll(2) on fd 0 and a
 * wake-up pipe. The relay's input thread blocks here rather than in read(2), so that it can be
 * woken and leave native code before the JVM exits (a thread still in a native call makes the
 * JVM wait 300 ms for it at exit; a blocked read(2) on a terminal cannot be woken). Owns the
 * pipe; {@link #close()} once the waiting thread is gone.
 */
final class StdinPoll implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO_VALUE = Linker.Option.captureStateLayout()
            .varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final int EINTR = 4;
    private static final short POLLIN = 0x1;
    private static final MethodHandle PIPE = handle("pipe", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), ERRNO);
    private static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final Arena arena = Arena.ofShared();
    private final int readEnd;
    private final int writeEnd;
    private final MemorySegment fds; // struct pollfd[2]: {int fd; short events; short revents}
    private volatile boolean woken;
    private boolean closed;

    private static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, options);
    }

    StdinPoll() {
        MemorySegment pair = arena.allocate(ValueLayout.JAVA_INT, 2);
        try {
            if ((int) PIPE.invokeExact(pair) != 0) {
                arena.close();
                throw new IllegalStateException("pipe() for the stdin relay failed");
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            arena.close();
            throw new IllegalStateException("pipe()", t);
        }
        readEnd = pair.getAtIndex(ValueLayout.JAVA_INT, 0);
        writeEnd = pair.getAtIndex(ValueLayout.JAVA_INT, 1);
        fds = arena.allocate(16, 4);
        fds.set(ValueLayout.JAVA_INT, 0, 0);
        fds.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
        fds.set(ValueLayout.JAVA_INT, 8, readEnd);
        fds.set(ValueLayout.JAVA_SHORT, 12, POLLIN);
    }

    /**
     * Blocks until stdin is readable (or at end of file, or hung up: a read then says which)
     * or {@link #wake()} was called.
     *
     * @return true if stdin may be read; false once woken
     */
    boolean await() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = call.allocate(Linker.Option.captureStateLayout());
            while (!woken) {
                fds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                fds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
                int r = (int) POLL.invokeExact(state, fds, 2L, -1);
                if (r < 0) {
                    int errno = (int) ERRNO_VALUE.get(state, 0L);
                    if (errno == EINTR) continue;
                    throw new IllegalStateException("poll(stdin) failed: errno " + errno);
                }
                if (fds.get(ValueLayout.JAVA_SHORT, 14) != 0) return false;
                if (fds.get(ValueLayout.JAVA_SHORT, 6) != 0) return true;
            }
            return false;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("poll(stdin)", t);
        }
    }

    /** Ends the wait, now or at the next {@link #await()}; any thread. */
    void wake() {
        woken = true;
        try (Arena call = Arena.ofConfined()) {
            long unused = (long) WRITE.invokeExact(writeEnd, call.allocate(1), 1L); // a full pipe is woken already
        } catch (Throwable t) {
            throw new IllegalStateException("write(wake pipe)", t);
        }
    }

    /** Closes the pipe; call once no thread waits. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            int a = (int) CLOSE.invokeExact(readEnd);
            int b = (int) CLOSE.invokeExact(writeEnd);
            if (a != 0 || b != 0) System.err.println("procwarden: warning: cannot close the stdin relay's wake pipe");
        } catch (Throwable t) {
            throw new IllegalStateException("close(wake pipe)", t);
        } finally {
            arena.close();
        }
    }
}
