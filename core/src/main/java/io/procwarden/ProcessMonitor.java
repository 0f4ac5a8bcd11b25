package io.procwarden;

import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.monitor.BackendProbe;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.internal.monitor.Registration;
import io.procwarden.internal.sys.ProcFs;
import java.io.UncheckedIOException;
import java.util.Optional;
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
 * <h2>Who reaps what</h2>
 * procwarden reaps only its own children: those it spawned ({@link ProcessSpec#spawn}) and those
 * explicitly handed to it with {@link #adoptChild(long)}. It reaps each once, by its pidfd (never
 * {@code waitpid(-1)}), so no zombie is left. Everything {@link #watch(long)} names is observed,
 * never reaped, even a child of this JVM: a {@code ProcessBuilder} child stays the JDK's to reap,
 * and its {@code waitFor()} and {@code exitValue()} stay exact.
 *
 * <h2>What you learn</h2>
 * <ul>
 *   <li>Our own child: the exact {@link ExitStatus} (code, or signal and core dump). If a stray
 *       {@code waitpid} elsewhere in the JVM reaps it first: {@link ExitStatus.UnknownReason#ALREADY_REAPED}.
 *       Watching it after we reaped it gives its status too (the last 1,024 reaps are remembered).
 *   <li>A child of this JVM that is not ours (the JDK's, another library's): the exact status,
 *       read without reaping it ({@code waitid(WNOWAIT)}), or after its owner reaped it as below.
 *   <li>Anyone else's process, where the kernel keeps the status of reaped processes
 *       ({@code PIDFD_INFO_EXIT}, Linux 6.15; see {@link #nonChildStatusUnavailabilityCause()}):
 *       the exact status. Its death is seen when it becomes a zombie (the pidfd turns readable);
 *       its status only once its parent reaps it (the pidfd hangs up), usually microseconds
 *       later. A parent that does not reap it within a bound, 1 s by default (system property
 *       {@code procwarden.monitor.reapWaitMillis}, 0..60000, read when a monitor starts; 0: no
 *       wait), ends the watch with {@link ExitStatus.UnknownReason#NOT_REAPED}: a stopped or hung
 *       parent never holds a future forever.
 *   <li>Anyone else's process elsewhere (older kernels, a seccomp filter, macOS): notified when it
 *       exits, status {@link ExitStatus.UnknownReason#NOT_OUR_CHILD}.
 *   <li>A pid with no process: at once, {@link ExitStatus.UnknownReason#NO_SUCH_PROCESS}.
 * </ul>
 * A process that exits between the call and the registration is still reported. Bad pids (not
 * positive, above the system's pid limit, this JVM, a thread id that is not a process) are
 * programming errors: {@link IllegalArgumentException}, naming the pid.
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

    /**
     * Empty if this system reports the exact status of processes that are not our children once
     * they are reaped ({@code ioctl(PIDFD_GET_INFO)} with {@code PIDFD_INFO_EXIT}, Linux 6.15);
     * otherwise why not, as the exception that the one-time probe met (for example the ENOSYS or
     * EPERM of a seccomp filter). Where it is unavailable, such processes end as
     * {@link ExitStatus.UnknownReason#NOT_OUR_CHILD}.
     */
    public static Optional<Throwable> nonChildStatusUnavailabilityCause() {
        return BackendProbe.nonChildStatusUnavailabilityCause();
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
     *     limit, this JVM's own pid, or a thread id that is not a process (Linux)
     * @throws UncheckedIOException if the system refuses (e.g. {@code pidfd_open} fails with EMFILE)
     * @throws IllegalStateException if the monitor is closed
     */
    public CompletableFuture<ExitStatus> watch(long pid) {
        return watch(checkPid(pid), -1);
    }

    /**
     * Hands a child of this JVM to procwarden, which reaps it from now on, as if it had spawned it:
     * for a child started by other means (your own {@code posix_spawn} through FFM, a native
     * library that leaves the reaping to its caller) that nobody else waits for. The child is
     * reaped once, when it exits (at once if it has exited already), and its exact status and
     * resource usage are known; it stays registered until reaped even if the future is cancelled.
     *
     * <p>Never hand over a {@code ProcessBuilder} child: the JDK reaps those itself and would then
     * lose its status (use {@link #watch(long)}, which only observes). Whoever else reaps an adopted
     * child first makes it end as {@link ExitStatus.UnknownReason#ALREADY_REAPED}.
     *
     * @return a new future of how it ended
     * @throws IllegalArgumentException for an invalid pid, as {@link #watch(long)}, or one that is
     *     not an unreaped child of this JVM (checked on Linux with {@code waitid(WNOWAIT)})
     * @throws UncheckedIOException if the system refuses (e.g. {@code pidfd_open} fails with EMFILE)
     * @throws IllegalStateException if the monitor is closed
     */
    public CompletableFuture<ExitStatus> adoptChild(long pid) {
        int p = checkPid(pid);
        WatchFuture f = new WatchFuture(loop);
        try {
            f.registration = loop.adoptChild(p, f);
        } catch (SyscallException e) {
            throw new UncheckedIOException("cannot adopt child " + pid + ": " + e.getMessage(), e);
        }
        return f;
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
