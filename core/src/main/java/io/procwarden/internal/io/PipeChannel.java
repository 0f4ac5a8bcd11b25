package io.procwarden.internal.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The channel view of a pipe end, over the same stream. As NIO channels do, an interrupt of a
 * blocked call closes the channel (and so the pipe end) and throws
 * {@link ClosedByInterruptException}.
 */
final class PipeChannel implements ReadableByteChannel, WritableByteChannel {
    private final PipeEnd end;
    private final InputStream in;
    private final OutputStream out;

    PipeChannel(PipeEnd end, InputStream in, OutputStream out) {
        this.end = end;
        this.in = in;
        this.out = out;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (in == null) throw new UnsupportedOperationException(end + " is not readable");
        if (end.isClosed()) throw new ClosedChannelException();
        if (!dst.hasRemaining()) return 0;
        try {
            int r;
            if (dst.hasArray()) {
                r = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                if (r > 0) dst.position(dst.position() + r);
            } else {
                byte[] b = new byte[Math.min(dst.remaining(), PipeHub.CHUNK)];
                r = in.read(b, 0, b.length);
                if (r > 0) dst.put(b, 0, r);
            }
            return r;
        } catch (InterruptedIOException e) {
            throw interrupted(e);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (out == null) throw new UnsupportedOperationException(end + " is not writable");
        if (end.isClosed()) throw new ClosedChannelException();
        int n = src.remaining();
        try {
            if (src.hasArray()) {
                out.write(src.array(), src.arrayOffset() + src.position(), n);
                src.position(src.limit());
            } else {
                byte[] b = new byte[n];
                src.get(b);
                out.write(b, 0, n);
            }
            return n;
        } catch (InterruptedIOException e) {
            throw interrupted(e);
        }
    }

    private ClosedByInterruptException interrupted(InterruptedIOException e) {
        end.close();
        ClosedByInterruptException c = new ClosedByInterruptException();
        c.initCause(e);
        return c;
    }

    @Override
    public boolean isOpen() {
        return !end.isClosed();
    }

    @Override
    public void close() {
        end.close();
    }
}
