package io.procwarden.internal.io;

import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/** A publisher of one byte array, then completion: a child's stdin given up front. One subscriber. */
public final class BytesPublisher implements Flow.Publisher<ByteBuffer> {
    private final byte[] bytes;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    /** {@code bytes} is not copied: the caller hands it over. */
    public BytesPublisher(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        if (!subscribed.compareAndSet(false, true)) {
            subscriber.onSubscribe(new Flow.Subscription() {
                public void request(long n) {}

                public void cancel() {}
            });
            subscriber.onError(new IllegalStateException("stdin bytes already subscribed to"));
            return;
        }
        subscriber.onSubscribe(new Flow.Subscription() {
            private boolean sent;
            private boolean cancelled;

            @Override
            public synchronized void request(long n) {
                if (cancelled || n <= 0) return;
                if (!sent) {
                    sent = true;
                    if (bytes.length > 0) subscriber.onNext(ByteBuffer.wrap(bytes).asReadOnlyBuffer());
                    subscriber.onComplete();
                }
            }

            @Override
            public synchronized void cancel() {
                cancelled = true;
            }
        });
    }
}
