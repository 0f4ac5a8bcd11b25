package io.procwarden.internal.spawn;

import io.procwarden.internal.monitor.BackendProbe;
import io.procwarden.internal.monitor.ExitBackend;

/** Whether spawned children get a pidfd: the same probe that decides the pidfd monitor backend. */
final class PidfdSupport {
    private PidfdSupport() {}

    static boolean available() {
        return BackendProbe.isAvailable(ExitBackend.PIDFD);
    }
}
