package io.procwarden.internal.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * Collects one output stream up to a cap, on the loop thread, blocking nobody: unbounded demand,
 * so the child never blocks on a full pipe; bytes beyond the cap are read and counted but not
 * kept. The future completes when the stream ends (end of file, or the drain after exit).
 */
final class OutputCollector implements Flow.Subscriber<ByteBuffer> {
    final CompletableFuture<ChildPipes.Collected> result = new CompletableFuture<>();
    private final long cap;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long total;

    OutputCollector(long cap) {
        this.cap = cap;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(ByteBuffer item) {
        int n = item.remaining();
        long room = cap - kept.size();
        if (room > 0) {
            int take = (int) Math.min(room, n);
            kept.write(item.array(), item.arrayOffset() + item.position(), take);
        }
        total += n;
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        result.complete(new ChildPipes.Collected(kept.toByteArray(), total, total > kept.size()));
    }
}
