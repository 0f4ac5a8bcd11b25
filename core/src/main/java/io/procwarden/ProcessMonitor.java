package io.procwarden;

import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.internal.monitor.Registration;
import io.procwarden.internal.sys.ProcFs;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * Tells you when processes exit, the moment they exit, with one thread for all of them.
 *
 * <p>Each monitor owns one daemon thread ({@code procwarden-monitor-N-backend}) that serves every
 * process it watches, children or not, through the best {@link MonitorBackend} of this system:
 * pidfd + epoll on Linux, kqueue on macOS, polling elsewhere. Nothing sleeps waiting for an exit.
 * {@link #shared()} is a lazily started monitor for the whole JVM.
 *
 * {@snippet :
 * ProcessMonitor.shared().watch(pid).thenAccept(status -> log.info(pid + " " + status));
 * }
 *
 * <h2>What you learn</h2>
 * <ul>
 *   <li>Our own child: the exact {@link ExitStatus} (code, or signal and core dump). We reap it,
 *       once, by its pidfd (never {@code waitpid(-1)}), so no zombie is left. If a stray
 *       {@code waitpid} elsewhere in the JVM reaps it first: {@link ExitStatus.UnknownReason#ALREADY_REAPED}.
 *   <li>Anyone else's process: notified when it exits (when it becomes a zombie, before its
 *       parent reaps it), status {@link ExitStatus.UnknownReason#NOT_OUR_CHILD}.
 *   <li>A pid with no process: at once, {@link ExitStatus.UnknownReason#NO_SUCH_PROCESS}.
 * </ul>
 * A process that exits between the call and the registration is still reported.
 *
 * <h2>Futures</h2>
 * Each {@code watch} returns a new future; any number of callers may watch the same pid and
 * share one registration. Cancelling a future only removes that caller's interest; it never
 * touches the process (and our children are still reaped). Futures complete on the monitor
 * thread: dependent actions added with the non-async methods run there and must be short and
 * must not block; use the {@code *Async} methods for anything else. A throwing action is
 * isolated (the future it feeds fails), never the monitor.
 *
 * <h2>Closing</h2>
 * {@link #close()} fails every pending future with {@link IllegalStateException}, stops the
 * thread and releases every descriptor and native allocation. Our children still running are
 * handed to the {@link #shared()} monitor, which reaps them when they exit, so none is left a
 * zombie.
 *
 * <p>Thread-safe.
 */
public final class ProcessMonitor implements AutoCloseable {
    /**
     * Started on the first call that succeeds. Not a holder class: a bad backend property would
     * then fail its initialisation, and every later call with NoClassDefFoundError.
     */
    private static volatile ProcessMonitor sharedInstance;
    private static final Object SHARED_LOCK = new Object();

    private static final class Limits {
        static final long PID_MAX = readPidMax();
        static final long SELF = Unistd.getpid();
    }

    private final MonitorLoop loop;
    private final boolean shared;

    private ProcessMonitor(MonitorBackend backend, boolean shared) {
        try {
            this.loop = MonitorLoop.start(backend.mechanism());
        } catch (SyscallException e) {
            throw new UncheckedIOException("cannot start a " + backend.id() + " process monitor: " + e.getMessage(), e);
        }
        this.shared = shared;
    }

    /**
     * The JVM-wide monitor, started on first use with the {@linkplain MonitorBackend#selected() selected} backend.
     *
     * @throws IllegalArgumentException if {@value MonitorBackend#PROPERTY} names no backend; on
     *     every call until the property is fixed, each time naming the value
     * @throws IllegalStateException if it names a backend this system cannot run
     * @throws UncheckedIOException if the monitor's descriptors cannot be created (e.g. EMFILE)
     */
    public static ProcessMonitor shared() {
        ProcessMonitor m = sharedInstance;
        if (m != null) return m;
        synchronized (SHARED_LOCK) {
            if (sharedInstance == null) sharedInstance = new ProcessMonitor(MonitorBackend.selected(), true);
            return sharedInstance;
        }
    }

    /**
     * A new monitor with the {@linkplain MonitorBackend#selected() selected} backend.
     *
     * @throws UncheckedIOException if its descriptors cannot be created (e.g. EMFILE)
     */
    public static ProcessMonitor create() {
        return new ProcessMonitor(MonitorBackend.selected(), false);
    }

    /**
     * A new monitor with the given backend.
     *
     * @throws IllegalStateException if this system cannot run it (with the probe's cause)
     */
    public static ProcessMonitor create(MonitorBackend backend) {
        backend.unavailabilityCause().ifPresent(cause -> {
            throw new IllegalStateException(backend.id() + " backend unavailable: " + cause.getMessage(), cause);
        });
        return new ProcessMonitor(backend, false);
    }

    /** The mechanism this monitor uses. */
    public MonitorBackend backend() {
        return MonitorBackend.of(loop.backend());
    }

    /** How many processes are being watched right now. */
    public int watchedCount() {
        return loop.watchedCount();
    }

    /**
     * Watches a process until it exits.
     *
     * @return a new future of how it ended; completes at once with
     *     {@link ExitStatus.UnknownReason#NO_SUCH_PROCESS} if there is no such process
     * @throws IllegalArgumentException if {@code pid} is not positive, above the system's pid
     *     limit, or this JVM's own pid
     * @throws UncheckedIOException if the system refuses (e.g. {@code pidfd_open} fails with EMFILE)
     * @throws IllegalStateException if the monitor is closed
     */
    public CompletableFuture<ExitStatus> watch(long pid) {
        return watch(checkPid(pid), -1);
    }

    /**
     * Watches a process instance recorded earlier (a pid file written by a previous run): if
     * the pid now belongs to a process with a different start time, completes at once with
     * {@link ExitStatus.UnknownReason#NO_SUCH_PROCESS}, never watching the stranger. Linux only.
     *
     * @throws IllegalArgumentException for an invalid pid, as {@link #watch(long)}
     */
    public CompletableFuture<ExitStatus> watch(ProcessIdentity process) {
        if (!Platform.current().isLinux()) {
            throw new UnsupportedOperationException("watching by start time needs Linux /proc");
        }
        return watch(checkPid(process.pid()), process.startTime());
    }

    private CompletableFuture<ExitStatus> watch(int pid, long startTime) {
        WatchFuture f = new WatchFuture(loop);
        try {
            f.registration = loop.watch(pid, startTime, f);
        } catch (SyscallException e) {
            throw new UncheckedIOException("cannot watch pid " + pid + ": " + e.getMessage(), e);
        }
        if (f.isCancelled() && f.registration != null) {
            loop.unwatch(f.registration, f);
        }
        return f;
    }

    /** Package access for the spawn layer, which registers the children it starts. */
    MonitorLoop loop() {
        return loop;
    }

    /**
     * Stops the monitor: fails pending futures, stops its thread, releases its descriptors.
     * Idempotent.
     *
     * @throws UnsupportedOperationException for the {@link #shared()} monitor, which lives as
     *     long as the JVM
     */
    @Override
    public void close() {
        if (shared) {
            throw new UnsupportedOperationException("the shared ProcessMonitor cannot be closed");
        }
        // Children still running are handed to the shared monitor, which reaps them: no zombie.
        loop.close(() -> shared().loop);
    }

    @Override
    public String toString() {
        return "ProcessMonitor[" + backend().id() + ", watching " + watchedCount() + "]";
    }

    private static int checkPid(long pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be positive: " + pid);
        }
        if (pid > Limits.PID_MAX) {
            throw new IllegalArgumentException("pid " + pid + " is above the system's pid limit " + Limits.PID_MAX);
        }
        if (pid == Limits.SELF) {
            throw new IllegalArgumentException("pid " + pid + " is this JVM; it cannot watch its own exit");
        }
        return (int) pid;
    }

    private static long readPidMax() {
        if (Platform.current().isLinux()) {
            return ProcFs.pidMax();
        }
        return Platform.current().isMacOs() ? 99_999 : Integer.MAX_VALUE;
    }

    /** The future handed to one caller; cancelling it removes only this caller's interest. */
    private static final class WatchFuture extends CompletableFuture<ExitStatus> implements ExitListener {
        private final MonitorLoop loop;
        volatile Registration registration;

        WatchFuture(MonitorLoop loop) {
            this.loop = loop;
        }

        @Override
        public void onExit(ExitStatus status, ResourceUsage usage) {
            complete(status);
        }

        @Override
        public void onFailure(Throwable error) {
            completeExceptionally(error);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            Registration r = registration;
            if (cancelled && r != null) {
                loop.unwatch(r, this);
            }
            return cancelled;
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new CompletableFuture<>(); // dependents are plain futures, not watches
        }
    }
}
