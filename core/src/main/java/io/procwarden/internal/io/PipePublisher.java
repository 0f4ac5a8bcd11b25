package io.procwarden.internal.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The push view of a read end: a {@link Flow.Publisher} of the bytes, for one subscriber.
 *
 * <p>The loop thread reads and calls {@code onNext} (one buffer per read, at most
 * {@link PipeHub#CHUNK} bytes: a view of the loop's read buffer, valid until {@code onNext}
 * returns, so copy what you keep) only while the subscriber has demand;
 * without demand nothing is read, the pipe fills and the child blocks in {@code write}: memory
 * stays bounded. {@code onComplete} comes at end of file or when the drain after exit ends (the
 * child's {@code outputCutOff()} says which); {@code onError} on a failed read. Cancelling closes
 * the pipe end (the child then gets EPIPE if it writes). Subscriber methods run on the monitor
 * thread: keep them short and non-blocking.
 */
final class PipePublisher implements Flow.Publisher<ByteBuffer>, PipeEnd.Sink {
    private static final System.Logger LOG = System.getLogger(PipePublisher.class.getName());

    private final PipeEnd end;
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicLong demand = new AtomicLong();
    private volatile Flow.Subscriber<? super ByteBuffer> subscriber;
    private volatile boolean done;
    private boolean watching; // guarded by this

    PipePublisher(PipeEnd end) {
        this.end = end;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> s) {
        if (!subscribed.compareAndSet(false, true)) {
            s.onSubscribe(NoSubscription.INSTANCE);
            s.onError(new IllegalStateException(end + " already has a subscriber"));
            return;
        }
        subscriber = s;
        end.attach(this);
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                PipePublisher.this.request(n);
            }

            @Override
            public void cancel() {
                done = true;
                end.close();
            }
        });
    }

    private void request(long n) {
        if (done) return;
        if (n <= 0) {
            done = true;
            end.close();
            signalError(new IllegalArgumentException("non-positive request " + n + " (Flow rule 3.9)"));
            return;
        }
        long before = demand.getAndAccumulate(n, (d, add) -> d + add < 0 ? Long.MAX_VALUE : d + add);
        if (before == 0) watch(true);
        // After the exit a pipe held by a grandchild may never be reported: the drain timer ends it.
        end.scheduleDrainCheck();
    }

    /**
     * Level-triggered reports while there is demand, none without: a busy pipe then costs one
     * read per wake-up. Guarded, since request() (any thread) and the loop both switch it.
     */
    private synchronized void watch(boolean on) {
        if (done || watching == on) return;
        if (on && demand.get() == 0) return; // the loop used it up meanwhile
        try {
            end.hub.watch(end, on);
            watching = on;
        } catch (IOException e) {
            fail(new IOException(end + ": " + e.getMessage(), e));
        } catch (IllegalStateException closed) {
            if (end.hub.isClosed()) {
                fail(new IOException(end + ": the monitor serving it was closed"));
            } else {
                end.hub.schedule(System.nanoTime(), end); // the stream ended meanwhile: onReady reports it
            }
        }
    }

    /** Loop thread: one read per report (more come while the pipe stays readable). */
    @Override
    public void onReady() {
        if (done) return;
        if (demand.get() > 0) {
            int r;
            try {
                r = end.readSome(end.hub.scratch(), 0, PipeHub.CHUNK);
            } catch (IOException e) {
                fail(e);
                return;
            }
            if (r == PipeEnd.END) {
                done = true;
                try {
                    subscriber.onComplete();
                } catch (Throwable t) {
                    LOG.log(System.Logger.Level.WARNING, "onComplete of " + end + " threw", t);
                }
                return;
            }
            if (r > 0) {
                if (demand.get() != Long.MAX_VALUE) demand.decrementAndGet(); // MAX_VALUE: unbounded (rule 3.17)
                try {
                    subscriber.onNext(ByteBuffer.wrap(end.hub.scratch(), 0, r));
                } catch (Throwable t) {
                    // Flow rule 2.13: a throwing subscriber is cancelled.
                    LOG.log(System.Logger.Level.WARNING, "onNext of " + end + " threw; cancelled", t);
                    done = true;
                    end.close();
                    return;
                }
            }
        }
        if (demand.get() == 0) {
            watch(false);
            if (demand.get() > 0) watch(true); // a request() came in between
        }
    }

    private void fail(IOException e) {
        if (done) return;
        done = true;
        end.close();
        signalError(e);
    }

    private void signalError(Throwable e) {
        try {
            subscriber.onError(e);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "onError of " + end + " threw", t);
        }
    }

    private enum NoSubscription implements Flow.Subscription {
        INSTANCE;

        @Override
        public void request(long n) {}

        @Override
        public void cancel() {}
    }
}
