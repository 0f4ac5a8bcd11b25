package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Eventfd;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A descriptor another thread can make readable to end a poll(2): an eventfd on Linux, a
 * non-blocking pipe elsewhere. Used by a platform thread blocked on a pipe, so that close, the
 * child's exit and interrupts reach it.
 */
final class WakeFd implements AutoCloseable {
    private final Fd read;
    private final Fd write;

    private WakeFd(Fd read, Fd write) {
        this.read = read;
        this.write = write;
    }

    static WakeFd open() throws SyscallException {
        if (Platform.current().isLinux()) {
            Fd e = Eventfd.create();
            return new WakeFd(e, e);
        }
        Fd[] p = Unistd.pipe();
        try {
            Unistd.setNonBlocking(p[0]);
            Unistd.setNonBlocking(p[1]);
        } catch (SyscallException e) {
            p[0].close();
            p[1].close();
            throw e;
        }
        return new WakeFd(p[0], p[1]);
    }

    /** The descriptor to poll for POLLIN. */
    Fd pollable() {
        return read;
    }

    /** Makes {@link #pollable()} readable. Any thread; harmless once closed or already signalled. */
    void signal() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(8, 8);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            Unistd.write(write, one, read == write ? 8 : 1); // EAGAIN: already signalled
        } catch (IllegalStateException closed) {
            // nobody waits any more
        } catch (SyscallException e) {
            throw new IllegalStateException("cannot wake a thread blocked on a pipe: " + e.getMessage(), e);
        }
    }

    /** Resets it after a wake-up. */
    void drain() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(64, 8);
            while (Unistd.read(read, buf, read == write ? 8 : 64) > 0) {
                if (read == write) return; // an eventfd read resets the counter at once
            }
        } catch (IllegalStateException | SyscallException closedOrGone) {
            // closed meanwhile: the waiter is being woken for good
        }
    }

    @Override
    public void close() {
        read.close();
        if (write != read) write.close();
    }
}
