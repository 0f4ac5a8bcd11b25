package io.procwarden.internal.io;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * Hands each line of a pushed byte stream to a consumer, with backpressure: the next buffer is
 * requested only once every line of the previous one has been consumed. Without an executor
 * the consumer runs on the publisher's thread (the monitor loop); with one, the lines of each
 * buffer run as one task on it, tasks in order, never two at once.
 */
public final class LineSubscriber implements Flow.Subscriber<ByteBuffer> {
    /** Lines longer than this many chars are given in pieces. */
    public static final int MAX_LINE_CHARS = 1 << 20;

    private final Consumer<String> consumer;
    private final Executor executor;
    private final LineSplitter splitter;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null); // executor mode only
    private Flow.Subscription subscription;

    /** {@code executor} null: on the publisher's thread. */
    public LineSubscriber(Consumer<String> consumer, Charset charset, Executor executor) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
        this.executor = executor;
        this.splitter = new LineSplitter(charset, MAX_LINE_CHARS);
    }

    /** Completes after the last line was consumed; fails with the stream's or the consumer's error. */
    public CompletableFuture<Void> done() {
        return done;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(ByteBuffer buffer) {
        List<String> lines = splitter.feed(buffer); // the buffer is valid only now
        then(() -> {
            deliver(lines);
            subscription.request(1);
        });
    }

    @Override
    public void onError(Throwable t) {
        then(() -> done.completeExceptionally(t));
    }

    @Override
    public void onComplete() {
        List<String> last = splitter.finish();
        then(() -> {
            deliver(last);
            done.complete(null);
        });
    }

    private void deliver(List<String> lines) {
        for (String l : lines) consumer.accept(l);
    }

    /** Runs {@code step} now or after the earlier steps on the executor; a consumer's exception ends it all. */
    private void then(Runnable step) {
        if (done.isDone()) return;
        if (executor == null) {
            run(step);
        } else {
            // An executor that rejects the task (shut down) ends it all too, rather than leaving done pending.
            tail = tail.thenRunAsync(() -> run(step), executor).exceptionally(t -> {
                if (done.completeExceptionally(t)) subscription.cancel();
                return null;
            });
        }
    }

    private void run(Runnable step) {
        if (done.isDone()) return;
        try {
            step.run();
        } catch (RuntimeException | Error e) {
            done.completeExceptionally(e);
            subscription.cancel();
        }
    }
}
