package io.procwarden;

import io.procwarden.internal.monitor.BackendProbe;
import io.procwarden.internal.monitor.ExitBackend;
import java.util.Optional;

/**
 * The mechanism a {@link ProcessMonitor} uses to learn that processes exited.
 *
 * <p>The default is the best one this system offers, found once by a probe that really calls
 * the system calls on the running process: {@link #PIDFD} on Linux 5.4+, {@link #KQUEUE} on
 * macOS, else {@link #POLLING}. Set the system property {@value #PROPERTY} to {@code pidfd},
 * {@code kqueue}, {@code polling} or {@code auto} to choose; an unknown value fails every
 * {@link #selected()} (and so every {@link ProcessMonitor#shared()}) with the value named, and a
 * backend this system cannot run fails with the probe's cause.
 */
public enum MonitorBackend {
    /** Linux: pidfd_open + epoll + waitid(P_PIDFD); exit noticed at once, pid reuse impossible. */
    PIDFD(ExitBackend.PIDFD),
    /** macOS/BSD: kqueue EVFILT_PROC NOTE_EXIT; exit noticed at once. */
    KQUEUE(ExitBackend.KQUEUE),
    /** Anywhere: checks every watched process at a fixed interval ({@link #description()} says which). */
    POLLING(ExitBackend.POLLING);

    /** The system property that forces a backend: {@value}. */
    public static final String PROPERTY = ExitBackend.PROPERTY;

    private final ExitBackend mechanism;

    MonitorBackend(ExitBackend mechanism) {
        this.mechanism = mechanism;
    }

    /** The internal mechanism behind this constant. */
    ExitBackend mechanism() {
        return mechanism;
    }

    /** The constant for an internal mechanism. */
    static MonitorBackend of(ExitBackend mechanism) {
        return switch (mechanism) {
            case PIDFD -> PIDFD;
            case KQUEUE -> KQUEUE;
            case POLLING -> POLLING;
        };
    }

    /** A short description of the mechanism. */
    public String description() {
        return mechanism.description();
    }

    /** The lower-case name used by the system property and the CLI ({@code pidfd}, ...). */
    public String id() {
        return mechanism.id();
    }

    /**
     * Empty if this system can run the backend; else why not: the exception the probe got (a
     * {@link SyscallException} names the call and errno that failed), or one saying what is
     * missing (not Linux, not macOS).
     */
    public Optional<Throwable> unavailabilityCause() {
        return BackendProbe.unavailabilityCause(mechanism);
    }

    /** True if this system can run the backend. */
    public boolean isAvailable() {
        return BackendProbe.isAvailable(mechanism);
    }

    /**
     * The backend a new monitor uses: the one named by {@value #PROPERTY}, else the best
     * available. The property is read on every call.
     *
     * @throws IllegalArgumentException if the property names no backend (the message names the value)
     * @throws IllegalStateException if the property names a backend this system cannot run
     */
    public static MonitorBackend selected() {
        return of(BackendProbe.selected());
    }

    /** The best backend this system can run, ignoring the property. */
    public static MonitorBackend best() {
        return of(BackendProbe.best());
    }

    /**
     * Parses a backend id ({@code pidfd}, {@code kqueue}, {@code polling}), any case.
     *
     * @throws IllegalArgumentException naming the value and the valid ones
     */
    public static MonitorBackend parse(String id) {
        return of(ExitBackend.parse(id));
    }
}
