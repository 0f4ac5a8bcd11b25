package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.PipeIo;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pull view of a read end: blocks as {@link PipeEnd#await()} describes (a virtual thread
 * parks, a platform thread polls), interruptibly, and ends at end of file or when the drain
 * after the child's exit is over. Unbuffered: every read is one non-blocking {@code read(2)}.
 */
final class PipeInputStream extends InputStream {
    private final PipeEnd end;
    private final ReentrantLock lock = new ReentrantLock();

    PipeInputStream(PipeEnd end) {
        this.end = end;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int r = read(one, 0, 1);
        return r < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        if (end.hasSink()) throw new IOException(end + " is consumed by a subscriber");
        lock.lock();
        try {
            while (true) {
                int r = end.readSome(b, off, len);
                if (r > 0) return r;
                if (r == PipeEnd.END) return -1;
                end.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The bytes the pipe holds right now (FIONREAD); 0 once the stream has ended. */
    @Override
    public int available() throws IOException {
        if (end.ended()) return 0;
        if (end.isClosed()) throw new IOException(end + ": stream closed");
        try {
            return PipeIo.available(end.fd);
        } catch (SyscallException e) {
            throw new IOException(end + ": " + e.getMessage(), e);
        } catch (IllegalStateException endedMeanwhile) {
            return 0;
        }
    }

    @Override
    public void close() {
        end.close();
    }
}
