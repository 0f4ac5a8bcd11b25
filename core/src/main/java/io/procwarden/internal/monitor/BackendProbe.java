package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Eventfd;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Kqueue;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Decides once, by really calling them on this process, which backends work here; keeps the
 * cause for each one that does not, as a Throwable (like Go's pidfd probe and Netty's
 * {@code Epoll.unavailabilityCause()}): the {@link SyscallException} that failed, with its errno.
 *
 * <p>pidfd needs all of: pidfd_open on ourselves; waitid(P_PIDFD) answering ECHILD (we are not
 * our own child, so ECHILD is the expected answer; ENOSYS or EINVAL means the kernel predates
 * 5.4); pidfd_send_signal(0); epoll and eventfd. A seccomp filter may answer any of them with
 * ENOSYS or EPERM: that is a cause, not a crash. The spawn layer asks the same probe whether
 * children get a pidfd.
 *
 * <p>Nothing here can fail class initialisation: every probe catches what it provokes, and
 * {@link #selected()} reads the system property on each call.
 */
public final class BackendProbe {
    private BackendProbe() {}

    private static final class Results {
        static final Map<ExitBackend, Optional<Throwable>> CAUSES = probeAll();
    }

    /** Empty if the backend works here; otherwise why not. */
    public static Optional<Throwable> unavailabilityCause(ExitBackend backend) {
        return Results.CAUSES.get(backend);
    }

    /**
     * Empty if the kernel keeps the status of reaped processes for their pidfds
     * (PIDFD_INFO_EXIT); otherwise why not. Probed once, by {@link ExitInfoProbe}.
     */
    public static Optional<Throwable> nonChildStatusUnavailabilityCause() {
        return ExitInfoProbe.unavailabilityCause();
    }

    /** True if this system can run the backend. */
    public static boolean isAvailable(ExitBackend backend) {
        return unavailabilityCause(backend).isEmpty();
    }

    /** The best backend this system can run, ignoring the property. */
    public static ExitBackend best() {
        for (ExitBackend b : ExitBackend.values()) {
            if (isAvailable(b)) return b;
        }
        return ExitBackend.POLLING;
    }

    /**
     * The backend a new monitor uses: the one named by {@value ExitBackend#PROPERTY}, else the
     * best available. Read on every call: a bad value fails every call the same way.
     *
     * @throws IllegalArgumentException if the property names no backend (the message names the value)
     * @throws IllegalStateException if it names a backend this system cannot run (the probe's cause attached)
     */
    public static ExitBackend selected() {
        String raw = System.getProperty(ExitBackend.PROPERTY, "auto");
        String value = raw.trim().toLowerCase(Locale.ROOT);
        if (value.isEmpty() || value.equals("auto")) {
            return best();
        }
        ExitBackend chosen;
        try {
            chosen = ExitBackend.parse(raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + ExitBackend.PROPERTY + "=" + raw + ": " + e.getMessage(), e);
        }
        Optional<Throwable> cause = unavailabilityCause(chosen);
        if (cause.isPresent()) {
            throw new IllegalStateException(ExitBackend.PROPERTY + "=" + raw + " but " + chosen.id() + " is unavailable: "
                    + cause.get().getMessage(), cause.get());
        }
        return chosen;
    }

    private static Map<ExitBackend, Optional<Throwable>> probeAll() {
        Map<ExitBackend, Optional<Throwable>> m = new EnumMap<>(ExitBackend.class);
        m.put(ExitBackend.PIDFD, probePidfd());
        m.put(ExitBackend.KQUEUE, probeKqueue());
        m.put(ExitBackend.POLLING, Optional.empty());
        return m;
    }

    private static Optional<Throwable> probePidfd() {
        if (!Platform.current().isLinux()) {
            return Optional.of(new UnsupportedOperationException("not Linux (" + System.getProperty("os.name") + ")"));
        }
        try (Fd self = Pidfd.open(Unistd.getpid())) {
            try {
                Wait.waitidPidfd(self, Wait.WNOHANG);
                return Optional.of(new IllegalStateException("waitid(P_PIDFD) on our own pidfd did not fail with ECHILD"));
            } catch (SyscallException e) {
                if (e.errno() != Errno.ECHILD) {
                    return Optional.of(e);
                }
                // ECHILD: expected, we are not our own child; the call itself works.
            }
            Pidfd.sendSignal(self, 0);
            try (Fd ep = Epoll.create(); Fd ev = Eventfd.create()) {
                return Optional.empty();
            }
        } catch (SyscallException | RuntimeException | LinkageError e) {
            return Optional.of(e);
        }
    }

    private static Optional<Throwable> probeKqueue() {
        if (!Platform.current().isMacOs()) {
            return Optional.of(new UnsupportedOperationException("not macOS (" + System.getProperty("os.name") + ")"));
        }
        try (Fd kq = Kqueue.create()) {
            return Optional.empty();
        } catch (SyscallException | RuntimeException | LinkageError e) {
            return Optional.of(e);
        }
    }
}
