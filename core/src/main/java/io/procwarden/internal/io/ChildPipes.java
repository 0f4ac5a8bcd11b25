package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * Our ends of one child's stdin, stdout and stderr pipes (each null when not piped), on the
 * monitor loop, and the views handed out for them: streams and channels (pull), publishers and
 * a stdin feed (push), collectors. Each view is created once; views of one end share it, so mix
 * them only one after the other (a stream is refused while a subscriber consumes the end).
 */
public final class ChildPipes implements AutoCloseable {
    /** How long after the exit bytes that were not yet in a pipe are still taken, unless set otherwise. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofMillis(100); // as ProcessOutput.DEFAULT_DRAIN_TIMEOUT

    private static final String[] NAMES = {"stdin", "stdout", "stderr"};

    private final PipeEnd in;
    private final PipeEnd out;
    private final PipeEnd err;
    private volatile long drainNanos = DEFAULT_DRAIN_TIMEOUT.toNanos();

    // Views, created on first use (guarded by this).
    private PipeOutputStream inStream;
    private PipeInputStream outStream;
    private PipeInputStream errStream;
    private PipeChannel inChannel;
    private PipeChannel outChannel;
    private PipeChannel errChannel;
    private PipePublisher outPublisher;
    private PipePublisher errPublisher;

    private ChildPipes(PipeEnd in, PipeEnd out, PipeEnd err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    /**
     * Takes ownership of our pipe ends (any may be null) and puts them on {@code hub}'s loop.
     * On failure every one of them is closed.
     */
    public static ChildPipes adopt(PipeHub hub, Fd stdin, Fd stdout, Fd stderr) throws SyscallException {
        Fd[] fds = {stdin, stdout, stderr};
        PipeEnd[] ends = new PipeEnd[3];
        int i = 0;
        boolean ok = false;
        try {
            for (; i < 3; i++) {
                if (fds[i] != null) ends[i] = hub.adopt(fds[i], i == 0, NAMES[i]); // closes fds[i] on failure
            }
            ok = true;
            return new ChildPipes(ends[0], ends[1], ends[2]);
        } finally {
            if (!ok) {
                for (int j = 0; j < 3; j++) {
                    if (j < i && ends[j] != null) ends[j].close();
                    if (j > i && fds[j] != null) fds[j].close();
                }
            }
        }
    }

    /**
     * Takes ownership of two duplicates of a pseudo-terminal master (the child's stdin and
     * stdout) and our end of a separate stderr pipe (or null), and puts them on {@code hub}'s
     * loop. A read of the master that fails with EIO (Linux, once every slave descriptor is
     * closed) ends the stream as end of file does. On failure every descriptor is closed.
     */
    public static ChildPipes adoptTerminal(PipeHub hub, Fd masterForStdin, Fd masterForStdout, Fd stderr)
            throws SyscallException {
        ChildPipes p = adopt(hub, masterForStdin, masterForStdout, stderr);
        p.in.terminal("terminal");
        p.out.terminal("terminal");
        return p;
    }

    /** Names the process in messages (called once its pid is known). */
    public void label(String process) {
        for (PipeEnd e : ends()) e.label(process);
    }

    /** Sets the drain after exit; takes effect if set before the exit is seen. */
    public void drainTimeout(Duration d) {
        drainNanos = d.isNegative() ? 0 : saturatedNanos(d);
    }

    public Duration drainTimeout() {
        return Duration.ofNanos(drainNanos);
    }

    /** The child has exited (any thread, once): the drain starts now. */
    public void exited() {
        long d = drainNanos;
        for (PipeEnd e : ends()) e.exited(d);
    }

    /** True if stdout or stderr ended at the drain deadline while another process still held it. */
    public boolean cutOff() {
        return (out != null && out.cutOff()) || (err != null && err.cutOff());
    }

    public boolean hasStdin() {
        return in != null;
    }

    public boolean hasStdout() {
        return out != null;
    }

    public boolean hasStderr() {
        return err != null;
    }

    public synchronized OutputStream stdin() {
        if (in == null) return null;
        if (inStream == null) inStream = new PipeOutputStream(in);
        return inStream;
    }

    public synchronized InputStream stdout() {
        if (out == null) return null;
        if (outStream == null) outStream = new PipeInputStream(out);
        return outStream;
    }

    public synchronized InputStream stderr() {
        if (err == null) return null;
        if (errStream == null) errStream = new PipeInputStream(err);
        return errStream;
    }

    public synchronized WritableByteChannel stdinChannel() {
        if (in == null) return null;
        if (inChannel == null) inChannel = new PipeChannel(in, null, stdin());
        return inChannel;
    }

    public synchronized ReadableByteChannel stdoutChannel() {
        if (out == null) return null;
        if (outChannel == null) outChannel = new PipeChannel(out, stdout(), null);
        return outChannel;
    }

    public synchronized ReadableByteChannel stderrChannel() {
        if (err == null) return null;
        if (errChannel == null) errChannel = new PipeChannel(err, stderr(), null);
        return errChannel;
    }

    public synchronized Flow.Publisher<ByteBuffer> stdoutPublisher() {
        if (out == null) return null;
        if (outPublisher == null) outPublisher = new PipePublisher(out);
        return outPublisher;
    }

    public synchronized Flow.Publisher<ByteBuffer> stderrPublisher() {
        if (err == null) return null;
        if (errPublisher == null) errPublisher = new PipePublisher(err);
        return errPublisher;
    }

    /**
     * Streams {@code source} into stdin, asking it for more as the pipe takes it; completes with
     * the byte count once stdin is closed after the source completed.
     *
     * @throws IllegalStateException if stdin already has a feed
     */
    public CompletableFuture<Long> feedStdin(Flow.Publisher<? extends ByteBuffer> source) {
        StdinFeed feed = new StdinFeed(in);
        source.subscribe(feed);
        return feed.result;
    }

    /** What {@link #collect} gives for one stream. */
    public record Collected(byte[] bytes, long total, boolean truncated) {}

    /** Collects stdout (or stderr) up to {@code cap} bytes, blocking no thread. */
    public CompletableFuture<Collected> collect(boolean stdout, long cap) {
        OutputCollector c = new OutputCollector(cap);
        (stdout ? stdoutPublisher() : stderrPublisher()).subscribe(c);
        return c.result;
    }

    private PipeEnd[] ends() {
        return java.util.stream.Stream.of(in, out, err).filter(e -> e != null).toArray(PipeEnd[]::new);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** Closes every end; idempotent. */
    @Override
    public void close() {
        for (PipeEnd e : ends()) e.close();
    }
}
