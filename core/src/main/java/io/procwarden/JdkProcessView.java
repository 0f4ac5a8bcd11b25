package io.procwarden;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * {@link ChildProcess} seen as a {@link java.lang.Process}, for code written against the JDK.
 * Every method is a one-line translation; the JDK's conventions are kept where they differ
 * from ours (exit value 128 + signal, empty streams for non-pipe redirects,
 * {@link IllegalThreadStateException} from {@code exitValue()} while running).
 */
final class JdkProcessView extends Process {
    private final ChildProcess child;

    JdkProcessView(ChildProcess child) {
        this.child = child;
    }

    @Override
    public OutputStream getOutputStream() {
        OutputStream s = child.stdinOrNull();
        return s != null ? s : NullOutput.INSTANCE;
    }

    @Override
    public InputStream getInputStream() {
        InputStream s = child.stdoutOrNull();
        return s != null ? s : InputStream.nullInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        InputStream s = child.stderrOrNull();
        return s != null ? s : InputStream.nullInputStream();
    }

    @Override
    public int waitFor() throws InterruptedException {
        return exitValueOf(child.waitFor());
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return child.waitFor(Duration.ofNanos(unit.toNanos(timeout))).isPresent();
    }

    @Override
    public int exitValue() {
        CompletableFuture<ExitStatus> f = child.onExit();
        if (!f.isDone()) {
            throw new IllegalThreadStateException("process " + child.pid() + " has not exited");
        }
        try {
            return exitValueOf(f.join());
        } catch (CompletionException e) {
            // The monitor closed before the exit: there is no value to give.
            throw new IllegalStateException("pid " + child.pid() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The JDK's Unix exit value: the code, or 128 + the signal; -1 when unknown (reaped by someone else). */
    static int exitValueOf(ExitStatus status) {
        return status instanceof ExitStatus.Unknown ? -1 : status.shellCode();
    }

    @Override
    public void destroy() {
        child.signal(Signal.TERM);
    }

    @Override
    public Process destroyForcibly() {
        child.kill();
        return this;
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    @Override
    public boolean isAlive() {
        return child.isAlive();
    }

    @Override
    public long pid() {
        return child.pid();
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return child.onExit().thenApply(status -> this);
    }

    /**
     * {@code ProcessHandle.of(pid)} while the child is unreaped; after that a handle that answers
     * as the JDK's does for its own ended process (not alive, empty info, no children), without
     * looking at the pid, which may by now belong to another process. {@code info()},
     * {@code children()} and {@code descendants()} go through this handle (Process's defaults).
     */
    @Override
    public ProcessHandle toHandle() {
        if (child.isAlive()) {
            Optional<ProcessHandle> h = ProcessHandle.of(child.pid());
            // Still unreaped after the lookup: the handle is our child, not a reuse of its pid.
            if (h.isPresent() && child.isAlive()) return h.get();
        }
        return new EndedProcessHandle(child.pid());
    }

    /** The JDK's shape: {@code Process[pid=N, exitValue=V]}, {@code exitValue="not exited"} while running. */
    @Override
    public String toString() {
        CompletableFuture<ExitStatus> f = child.onExit();
        String value = f.isDone() && !f.isCompletedExceptionally()
                ? String.valueOf(exitValueOf(f.join())) : "\"not exited\"";
        return "Process[pid=" + child.pid() + ", exitValue=" + value + "]";
    }

    /** The JDK's stdin for a non-pipe redirect: writes fail as on a closed stream. */
    private static final class NullOutput extends OutputStream {
        static final NullOutput INSTANCE = new NullOutput();

        @Override
        public void write(int b) throws IOException {
            throw new IOException("Stream closed");
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            throw new IOException("Stream closed");
        }
    }
}
