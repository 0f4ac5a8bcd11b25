package io.procwarden.internal.monitor;

import java.util.Locale;

/**
 * The mechanisms a monitor loop can use to learn that processes exited, as the internals name
 * them. {@code io.procwarden.MonitorBackend} is the public face of this enum, constant for
 * constant; {@link BackendProbe} says which ones work here.
 */
public enum ExitBackend {
    /** pidfd_open + epoll + waitid(P_PIDFD): {@link PidfdExitSource}. */
    PIDFD("pidfd + epoll (Linux 5.4+)"),
    /** kqueue EVFILT_PROC NOTE_EXIT: {@link KqueueExitSource}. */
    KQUEUE("kqueue EVFILT_PROC (macOS/BSD)"),
    /** A check of every watched process each round: {@link PollingExitSource}. */
    POLLING("polling every " + PollingExitSource.DEFAULT_INTERVAL_MILLIS + " ms");

    /** The system property that forces a backend: {@value}. */
    public static final String PROPERTY = "procwarden.monitor.backend";

    private final String description;

    ExitBackend(String description) {
        this.description = description;
    }

    /** A short description of the mechanism. */
    public String description() {
        return description;
    }

    /** The lower-case name used by the system property and the CLI ({@code pidfd}, ...). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a backend id ({@code pidfd}, {@code kqueue}, {@code polling}), any case.
     *
     * @throws IllegalArgumentException naming the value and the valid ones
     */
    public static ExitBackend parse(String id) {
        for (ExitBackend b : values()) {
            if (b.id().equalsIgnoreCase(id.trim())) return b;
        }
        throw new IllegalArgumentException("unknown process monitor backend \"" + id
                + "\" (valid: pidfd, kqueue, polling, auto)");
    }
}
