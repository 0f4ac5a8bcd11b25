package io.procwarden.internal.spawn;

/** A failure while preparing or calling posix_spawn: the step and its error number (0 if none). */
public final class SpawnFailure extends Exception {
    private static final long serialVersionUID = 1L;
    private final int errno;
    private final int startedPid;

    SpawnFailure(String step, int errno) {
        this(step, errno, 0);
    }

    SpawnFailure(String step, int errno, int startedPid) {
        super(step);
        this.errno = errno;
        this.startedPid = startedPid;
    }

    /**
     * The pid of a child that was started before the failure (it must still be reaped or
     * killed), or 0 when no child runs.
     */
    public int startedPid() {
        return startedPid;
    }

    /** The error number the step returned; 0 when the failure has no errno. */
    public int errno() {
        return errno;
    }

    /** The step that failed, e.g. {@code "posix_spawn"}. */
    public String step() {
        return getMessage();
    }
}
