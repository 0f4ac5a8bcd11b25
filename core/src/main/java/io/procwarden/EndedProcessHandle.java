package io.procwarden;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * The {@link ProcessHandle} of a child that has exited and been reaped: what the JDK's handle of
 * its own reaped {@code Process} answers (not alive, no info, no children, {@code onExit()}
 * complete, destroy refused), without asking the OS about the pid, which may by now belong to
 * another process.
 */
final class EndedProcessHandle implements ProcessHandle {
    private final long pid;

    EndedProcessHandle(long pid) {
        this.pid = pid;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public Optional<ProcessHandle> parent() {
        return Optional.empty();
    }

    @Override
    public Stream<ProcessHandle> children() {
        return Stream.empty();
    }

    @Override
    public Stream<ProcessHandle> descendants() {
        return Stream.empty();
    }

    @Override
    public Info info() {
        return EmptyInfo.INSTANCE;
    }

    @Override
    public CompletableFuture<ProcessHandle> onExit() {
        return CompletableFuture.completedFuture(this);
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    /** As the JDK's handle of an ended process: nothing to destroy. */
    @Override
    public boolean destroy() {
        return false;
    }

    @Override
    public boolean destroyForcibly() {
        return false;
    }

    @Override
    public boolean isAlive() {
        return false;
    }

    @Override
    public int compareTo(ProcessHandle other) {
        return Long.compare(pid, other.pid());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EndedProcessHandle h && h.pid == pid;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(pid);
    }

    @Override
    public String toString() {
        return String.valueOf(pid); // as the JDK's ProcessHandleImpl
    }

    /** The JDK's info of a process that no longer exists: every field empty. */
    private enum EmptyInfo implements Info {
        INSTANCE;

        @Override
        public Optional<String> command() {
            return Optional.empty();
        }

        @Override
        public Optional<String> commandLine() {
            return Optional.empty();
        }

        @Override
        public Optional<String[]> arguments() {
            return Optional.empty();
        }

        @Override
        public Optional<Instant> startInstant() {
            return Optional.empty();
        }

        @Override
        public Optional<Duration> totalCpuDuration() {
            return Optional.empty();
        }

        @Override
        public Optional<String> user() {
            return Optional.empty();
        }

        @Override
        public String toString() {
            return "[]";
        }
    }
}
