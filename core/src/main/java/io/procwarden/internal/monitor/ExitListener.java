package io.procwarden.internal.monitor;

import io.procwarden.ExitStatus;
import io.procwarden.ResourceUsage;

/**
 * Receives the end of one watched process. Called once, on the monitor thread (or on the
 * calling thread when the outcome is known at registration). Must not block.
 */
public interface ExitListener {
    /**
     * The process ended.
     *
     * @param usage resource usage when we reaped it ourselves; null otherwise
     */
    void onExit(ExitStatus status, ResourceUsage usage);

    /** Watching failed (the monitor closed, or a system call failed). */
    void onFailure(Throwable error);
}
