package io.procwarden.internal.monitor;

import io.procwarden.MonitorBackend;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Epoll;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Kqueue;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decides once, by really calling them on this process, which backends work here; keeps the
 * reason for each one that does not (like Go's pidfd probe and Netty's Epoll.unavailabilityCause).
 *
 * <p>pidfd needs all of: pidfd_open on ourselves; waitid(P_PIDFD) answering ECHILD (we are not
 * our own child; ENOSYS or EINVAL means the kernel predates 5.4); pidfd_send_signal(0); epoll
 * and eventfd. A seccomp filter may answer any of them with ENOSYS or EPERM: that is a cause,
 * not a crash.
 */
public final class BackendProbe {
    private BackendProbe() {}

    private static final class Results {
        static final Map<MonitorBackend, Optional<String>> CAUSES = probeAll();
    }

    /** Empty if the backend works here; otherwise the reason. */
    public static Optional<String> unavailabilityCause(MonitorBackend backend) {
        return Results.CAUSES.get(backend);
    }

    private static Map<MonitorBackend, Optional<String>> probeAll() {
        Map<MonitorBackend, Optional<String>> m = new EnumMap<>(MonitorBackend.class);
        m.put(MonitorBackend.PIDFD, probePidfd());
        m.put(MonitorBackend.KQUEUE, probeKqueue());
        m.put(MonitorBackend.POLLING, Optional.empty());
        return m;
    }

    private static Optional<String> probePidfd() {
        if (!Platform.current().isLinux()) {
            return Optional.of("not Linux (" + System.getProperty("os.name") + ")");
        }
        try (Fd self = Pidfd.open(Unistd.getpid())) {
            try {
                Wait.waitidPidfd(self, Wait.WNOHANG);
                return Optional.of("waitid(P_PIDFD) on our own pidfd did not fail with ECHILD");
            } catch (SyscallException e) {
                if (e.errno() != Errno.ECHILD) {
                    return Optional.of(e.getMessage());
                }
            }
            Pidfd.sendSignal(self, 0);
            try (Fd ep = Epoll.create(); Fd ev = Epoll.eventfd()) {
                return Optional.empty();
            }
        } catch (SyscallException e) {
            return Optional.of(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(e.toString());
        }
    }

    private static Optional<String> probeKqueue() {
        if (!Platform.current().isMacOs()) {
            return Optional.of("not macOS (" + System.getProperty("os.name") + ")");
        }
        try (Fd kq = Kqueue.create()) {
            return Optional.empty();
        } catch (SyscallException e) {
            return Optional.of(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(e.toString());
        }
    }
}
