package io.procwarden.internal.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * The push view of the child's stdin: subscribes to the caller's publisher and asks it for the
 * next buffer ({@code request(1)}) only once the previous one is in the pipe. A full pipe arms
 * a write-readiness report; the loop thread writes the rest when the child has read. The
 * publisher's completion closes stdin (the child sees end of file); its error closes it too.
 * The result is the byte count, or the failure (EPIPE once the child closed its stdin; a full
 * pipe after the child exited).
 */
final class StdinFeed implements Flow.Subscriber<ByteBuffer>, PipeEnd.Sink {
    private final PipeEnd end;
    final CompletableFuture<Long> result = new CompletableFuture<>();

    // Guarded by this.
    private Flow.Subscription subscription;
    private byte[] pending;
    private int offset;
    private boolean completing;
    private boolean pumping;
    private boolean again;
    private boolean requested;
    private long written;

    StdinFeed(PipeEnd end) {
        this.end = end;
        end.attach(this);
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription s) {
        if (subscription != null) {
            s.cancel();
            return;
        }
        subscription = s;
        pump();
    }

    @Override
    public synchronized void onNext(ByteBuffer item) {
        requested = false;
        if (result.isDone()) return;
        byte[] b = new byte[item.remaining()];
        item.get(b);
        pending = b;
        offset = 0;
        pump();
    }

    @Override
    public synchronized void onError(Throwable t) {
        end.close();
        result.completeExceptionally(t);
    }

    @Override
    public synchronized void onComplete() {
        completing = true;
        pump();
    }

    /** Loop thread: the pipe can take more (or the child exited). */
    @Override
    public synchronized void onReady() {
        pump();
    }

    /** Writes what is pending, then asks for more; loops instead of recursing when the publisher answers in request(). */
    private void pump() {
        if (pumping) {
            again = true;
            return;
        }
        pumping = true;
        try {
            do {
                again = false;
                step();
            } while (again && !result.isDone());
        } finally {
            pumping = false;
        }
    }

    private void step() {
        if (result.isDone()) return;
        try {
            while (pending != null && offset < pending.length) {
                int r = end.writeSome(pending, offset, pending.length - offset);
                if (r == PipeEnd.AGAIN) {
                    if (end.exited()) throw new IOException(end + ": the process has exited and the pipe is full");
                    end.hub.arm(end);
                    return;
                }
                offset += r;
                written += r;
            }
            pending = null;
            if (completing) {
                end.close();
                result.complete(written);
            } else if (subscription != null && !requested) {
                requested = true;
                subscription.request(1);
            }
        } catch (IOException | IllegalStateException e) {
            end.close();
            if (subscription != null) subscription.cancel();
            result.completeExceptionally(e instanceof IllegalStateException ? new IOException(end + ": closed", e) : e);
        }
    }
}
