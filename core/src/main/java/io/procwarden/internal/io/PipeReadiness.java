package io.procwarden.internal.io;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;

/**
 * How a pipe end asks the monitor loop to be told, once, that it is readable or writable: the
 * loop's own epoll set or kqueue. One-shot, so that a consumer that stops asking (no demand, no
 * reader) is never reported again: the pipe fills, the child blocks, and memory stays bounded.
 *
 * <p>The methods may be called from any thread while the loop waits. Readiness is reported to
 * the loop as {@code key} ({@link PipeHub#ready}). {@code first} says that the descriptor has
 * not been given to the kernel yet (epoll: ADD rather than MOD, no failing call per pipe).
 */
public interface PipeReadiness {
    /** Reports {@code key} once when {@code fd} is readable ({@code write} false) or writable. */
    void arm(Fd fd, boolean write, long key, boolean first) throws SyscallException;

    /**
     * Reports {@code key} every time the loop waits while {@code fd} is ready (level-triggered),
     * until {@link #pause} or {@link #arm}: for a push consumer with demand, so that a busy pipe
     * costs one read per wake-up and no re-arming call.
     */
    void watch(Fd fd, boolean write, long key, boolean first) throws SyscallException;

    /** Stops {@link #watch} reports (a hang-up may still be reported once). */
    void pause(Fd fd, boolean write, long key) throws SyscallException;

    /** Stops reporting {@code fd}; called before it is closed. Idempotent; never throws. */
    void forget(Fd fd, boolean write);
}
