package io.procwarden;

import io.procwarden.internal.monitor.BackendProbe;
import java.util.Locale;
import java.util.Optional;

/**
 * The mechanism a {@link ProcessMonitor} uses to learn that processes exited.
 *
 * <p>The default is the best one this system offers, found once by a probe that really calls
 * the system calls on the running process: {@link #PIDFD} on Linux 5.4+, {@link #KQUEUE} on
 * macOS, else {@link #POLLING}. Set the system property {@value #PROPERTY} to {@code pidfd},
 * {@code kqueue}, {@code polling} or {@code auto} to choose; an unknown value fails fast with
 * the value named, and a backend this system cannot run fails with the probe's cause.
 */
public enum MonitorBackend {
    /** Linux: pidfd_open + epoll + waitid(P_PIDFD); exit noticed at once, pid reuse impossible. */
    PIDFD("pidfd + epoll (Linux 5.4+)"),
    /** macOS/BSD: kqueue EVFILT_PROC NOTE_EXIT; exit noticed at once. */
    KQUEUE("kqueue EVFILT_PROC (macOS/BSD)"),
    /** Anywhere: checks every watched process every 50 ms (at most 100 ms). */
    POLLING("polling every " + 50 + " ms");

    /** The system property that forces a backend: {@value}. */
    public static final String PROPERTY = "procwarden.monitor.backend";

    private final String description;

    MonitorBackend(String description) {
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

    /** Empty if this system can run the backend; else why not (the call and errno that failed). */
    public Optional<String> unavailabilityCause() {
        return BackendProbe.unavailabilityCause(this);
    }

    /** True if this system can run the backend. */
    public boolean isAvailable() {
        return unavailabilityCause().isEmpty();
    }

    /**
     * The backend a new monitor uses: the one named by {@value #PROPERTY}, else the best available.
     *
     * @throws IllegalArgumentException if the property names no backend
     * @throws IllegalStateException if the property names a backend this system cannot run
     */
    public static MonitorBackend selected() {
        String value = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        if (value.isEmpty() || value.equals("auto")) {
            return best();
        }
        MonitorBackend chosen = parse(value);
        chosen.unavailabilityCause().ifPresent(cause -> {
            throw new IllegalStateException(PROPERTY + "=" + value + " but " + chosen.id() + " is unavailable: " + cause);
        });
        return chosen;
    }

    /** The best backend this system can run, ignoring the property. */
    public static MonitorBackend best() {
        for (MonitorBackend b : values()) {
            if (b.isAvailable()) return b;
        }
        return POLLING;
    }

    /**
     * Parses a backend id ({@code pidfd}, {@code kqueue}, {@code polling}), any case.
     *
     * @throws IllegalArgumentException naming the value and the valid ones
     */
    public static MonitorBackend parse(String id) {
        for (MonitorBackend b : values()) {
            if (b.id().equalsIgnoreCase(id.trim())) return b;
        }
        throw new IllegalArgumentException("unknown process monitor backend \"" + id
                + "\" (valid: pidfd, kqueue, polling, auto)");
    }
}
