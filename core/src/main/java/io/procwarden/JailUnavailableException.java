package io.procwarden;

import java.io.IOException;

/**
 * A {@link JailSpec} asks for something this host cannot give, so nothing was started: the jail
 * is never silently weaker than its spec. The message and {@link #capability()} name what is
 * missing, for example {@code "bubblewrap (bwrap)"}, {@code "cgroup controller memory"} or
 * {@code "CAP_SETUID (root) to change the user id"}.
 *
 * <p>Immutable.
 */
public final class JailUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String capability;

    /**
     * Creates the exception.
     *
     * @param capability what is missing, e.g. {@code "bubblewrap (bwrap)"}
     * @param detail why it is missing here and what would provide it
     */
    public JailUnavailableException(String capability, String detail) {
        super("jail needs " + capability + ": " + detail);
        this.capability = capability;
    }

    /** The missing capability, e.g. {@code "cgroup controller pids"}. */
    public String capability() {
        return capability;
    }
}
