package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.PidfdInfo;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Poll;
import io.procwarden.internal.ffi.Unistd;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Decides once, by really using it, whether this kernel keeps the exit status of a reaped
 * process for its pidfds ({@code PIDFD_INFO_EXIT}, Linux 6.15), and keeps the cause when it does
 * not, as {@link BackendProbe} does for the backends.
 *
 * <p>The probe needs something of its own that exits and is released, without spawning: a thread.
 * It starts a platform thread that opens a pidfd for itself ({@code PIDFD_THREAD}, 6.9) and ends;
 * once that pidfd hangs up (the kernel released the thread), {@code PIDFD_GET_INFO} must report
 * {@code PIDFD_INFO_EXIT}. Before that, the same ioctl on our own pidfd must succeed, so that a
 * seccomp filter answering ENOSYS or EPERM, or a kernel without the ioctl (ENOTTY), is named as
 * the cause. A thread costs ~0.1 ms, once per JVM.
 */
final class ExitInfoProbe {
    private ExitInfoProbe() {}

    /** How long the probe waits for its thread to be released; far more than it takes (microseconds). */
    private static final int RELEASE_WAIT_MILLIS = 5_000;

    /** The memoised answer; null until a probe got one that is not transient. */
    private static volatile Optional<Throwable> answer;

    /**
     * Empty if the status of reaped processes can be read here; otherwise why not. A transient
     * failure (no descriptor or memory left, no thread could start) is not kept: the next call
     * probes again.
     */
    static Optional<Throwable> unavailabilityCause() {
        Optional<Throwable> a = answer;
        if (a != null) return a;
        synchronized (ExitInfoProbe.class) {
            if (answer != null) return answer;
            Optional<Throwable> cause = probe();
            if (cause.isEmpty() || !isTransient(cause.get())) answer = cause;
            return cause;
        }
    }

    static boolean isAvailable() {
        return unavailabilityCause().isEmpty();
    }

    private static boolean isTransient(Throwable t) {
        if (t instanceof SyscallException e) {
            int n = e.errno();
            return n == Errno.EMFILE || n == Errno.ENFILE || n == Errno.ENOMEM || n == Errno.EAGAIN;
        }
        return t instanceof VirtualMachineError;
    }

    private static Optional<Throwable> probe() {
        if (!Platform.current().isLinux()) {
            return Optional.of(new UnsupportedOperationException("PIDFD_INFO_EXIT is Linux only (this is "
                    + System.getProperty("os.name") + ")"));
        }
        try {
            try (Fd self = Pidfd.open(Unistd.getpid())) {
                if (PidfdInfo.exitStatus(self).isPresent()) {
                    return Optional.of(new IllegalStateException("PIDFD_GET_INFO reported an exit status for this live JVM"));
                }
            }
            try (Fd thread = threadThatEnded()) {
                if (!Poll.awaitHangUp(thread, RELEASE_WAIT_MILLIS)) {
                    return Optional.of(new IllegalStateException("the probe's thread pidfd did not hang up within "
                            + RELEASE_WAIT_MILLIS + " ms of the thread's end"));
                }
                if (PidfdInfo.exitStatus(thread).isEmpty()) {
                    return Optional.of(new IllegalStateException(
                            "PIDFD_GET_INFO gave no PIDFD_INFO_EXIT for a released thread (kernel before 6.15?)"));
                }
            }
            return Optional.empty();
        } catch (SyscallException | RuntimeException | LinkageError | VirtualMachineError e) {
            return Optional.of(e); // OutOfMemoryError: a thread could not start
        }
    }

    /** Starts a platform thread that opens a pidfd for itself and ends; returns that pidfd. */
    private static Fd threadThatEnded() throws SyscallException {
        AtomicReference<Object> opened = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("procwarden-exit-info-probe").daemon().unstarted(() -> {
            try {
                opened.set(PidfdInfo.openThread(PidfdInfo.gettid()));
            } catch (SyscallException | RuntimeException e) {
                opened.set(e);
            }
        });
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return switch (opened.get()) {
            case Fd fd -> fd;
            case SyscallException e -> throw e;
            case RuntimeException e -> throw e;
            case null, default -> throw new IllegalStateException("the probe's thread opened no pidfd");
        };
    }
}
