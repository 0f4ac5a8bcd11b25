package io.procwarden.internal.spawn;

import io.procwarden.MonitorBackend;

/** Whether spawned children get a pidfd: the same probe that decides the pidfd monitor backend. */
final class PidfdSupport {
    private PidfdSupport() {}

    static boolean available() {
        return MonitorBackend.PIDFD.isAvailable();
    }
}
