package io.procwarden;

import java.util.Objects;

/**
 * How a process ended.
 *
 * <p>Three cases, never squashed into one number:
 * <ul>
 *   <li>{@link Exited}: it called {@code exit(code)} (or returned from {@code main});
 *   <li>{@link Signaled}: a signal killed it, with the signal and whether a core was dumped;
 *   <li>{@link Unknown}: it ended, or never existed, but its status cannot be known, with the
 *       {@link UnknownReason reason} (not our child, reaped by someone else, no such process,
 *       not reaped by its parent in time).
 * </ul>
 *
 * <p>{@link #shellCode()} gives the shell's single number (128+signal) for code that needs it.
 * {@snippet :
 * switch (status) {
 *     case ExitStatus.Exited e when e.code() == 0 -> System.out.println("ok");
 *     case ExitStatus.Exited e -> System.out.println("failed with " + e.code());
 *     case ExitStatus.Signaled s -> System.out.println("killed by " + s.signal().name());
 *     case ExitStatus.Unknown u -> System.out.println("ended; status unknown: " + u.reason());
 * }
 * }
 */
public sealed interface ExitStatus permits ExitStatus.Exited, ExitStatus.Signaled, ExitStatus.Unknown {

    /**
     * The shell's encoding: the exit code, or 128 + signal number for a killed process (what
     * {@code $?} shows, and what {@link Process#exitValue()} reports on Unix).
     *
     * @throws IllegalStateException for {@link Unknown}, which has no code to give
     */
    int shellCode();

    /** True for {@code Exited(0)}. */
    default boolean isSuccess() {
        return this instanceof Exited e && e.code() == 0;
    }

    /** The process exited normally with this code (0..255). */
    record Exited(int code) implements ExitStatus {
        /** Validates the code. */
        public Exited {
            if (code < 0 || code > 255) {
                throw new IllegalArgumentException("exit code out of range 0..255: " + code);
            }
        }

        @Override
        public int shellCode() {
            return code;
        }

        @Override
        public String toString() {
            return "exited with code " + code;
        }
    }

    /** A signal killed the process. */
    record Signaled(Signal signal, boolean coreDumped) implements ExitStatus {
        /** Validates the signal. */
        public Signaled {
            Objects.requireNonNull(signal, "signal");
        }

        @Override
        public int shellCode() {
            return 128 + signal.number();
        }

        @Override
        public String toString() {
            return "killed by " + signal.name() + (coreDumped ? " (core dumped)" : "");
        }
    }

    /** The process is gone (or never was) and its status cannot be known. */
    record Unknown(UnknownReason reason) implements ExitStatus {
        /** Validates the reason. */
        public Unknown {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public int shellCode() {
            throw new IllegalStateException("no exit code: " + this);
        }

        @Override
        public String toString() {
            return "status unknown: " + reason.description();
        }
    }

    /** Why a status is {@link Unknown}. */
    enum UnknownReason {
        /**
         * The process exited, but only its parent can learn how, and this system keeps no status
         * after the reap (Linux before 6.15, a seccomp filter, macOS for non-children).
         */
        NOT_OUR_CHILD("not our child"),
        /** Our child (spawned or adopted) was reaped by someone else (a stray {@code waitpid}) before we could. */
        ALREADY_REAPED("already reaped by someone else"),
        /** No such process: it never existed, is long gone, or its pid now belongs to another process. */
        NO_SUCH_PROCESS("no such process"),
        /**
         * The process died, but its parent (not us) did not reap it within the monitor's bound
         * ({@code procwarden.monitor.reapWaitMillis}, 1 s by default), and only the reap tells its
         * status: the parent is stopped, hung, or never waits. See {@link ProcessMonitor}.
         */
        NOT_REAPED("not reaped by its parent in time");

        private final String description;

        UnknownReason(String description) {
            this.description = description;
        }

        /** A short human-readable description. */
        public String description() {
            return description;
        }
    }
}
