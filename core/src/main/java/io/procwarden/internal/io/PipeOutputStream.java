package io.procwarden.internal.io;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pull view of our end of the child's stdin: writes everything, waiting as
 * {@link PipeEnd#await()} describes while the pipe is full. A child that closed its stdin gives
 * an IOException (EPIPE), never a signal; so does a full pipe once the child has exited (no
 * reader is left to make room), so a write never hangs on a dead child.
 */
final class PipeOutputStream extends OutputStream {
    private final PipeEnd end;
    private final ReentrantLock lock = new ReentrantLock();

    PipeOutputStream(PipeEnd end) {
        this.end = end;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (end.hasSink()) throw new IOException(end + " is fed by a publisher");
        lock.lock();
        try {
            while (len > 0) {
                int r = end.writeSome(b, off, len);
                if (r > 0) {
                    off += r;
                    len -= r;
                } else if (end.exited()) {
                    throw new IOException(end + ": the process has exited and the pipe is full");
                } else {
                    end.await();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        end.close();
    }
}
