package io.procwarden.internal.jail;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.spawn.PosixSpawner;
import io.procwarden.internal.spawn.SpawnFailure;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a helper tool once ({@code setpriv --help}, {@code bwrap --version}) to learn whether it
 * works here and what it supports; results are memoised per executable and arguments. The
 * child is ours alone (no monitor knows it), so it is reaped here with wait4 by pid.
 */
final class ToolProbe {
    private ToolProbe() {}

    /** What the tool printed (stdout and stderr) and how it ended, or why it could not run. */
    record Result(String output, ExitStatus status, String failure) {
        boolean ran() {
            return failure == null;
        }
    }

    private static final Map<List<String>, Result> CACHE = new ConcurrentHashMap<>();

    static Result run(Path exe, String... args) {
        List<String> key = new ArrayList<>();
        key.add(exe.toString());
        key.addAll(List.of(args));
        return CACHE.computeIfAbsent(List.copyOf(key), k -> runNow(exe, k));
    }

    /** The first executable among {@code candidates}. */
    static Optional<Path> firstExecutable(List<Path> candidates) {
        return candidates.stream().filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
    }

    private static Result runNow(Path exe, List<String> argv) {
        Fd[] pipe;
        try {
            pipe = Unistd.pipe();
        } catch (SyscallException e) {
            return new Result("", null, e.getMessage());
        }
        Fd read = pipe[0];
        try (Fd write = pipe[1]; Fd devNull = Unistd.open("/dev/null", Unistd.O_RDONLY, 0)) {
            List<String> withArgv0 = new ArrayList<>(argv);
            withArgv0.set(0, exe.getFileName().toString());
            PosixSpawner.Started s = PosixSpawner.spawn(new PosixSpawner.Request(exe.toString(), withArgv0,
                    List.of("PATH=/usr/bin:/bin", "LC_ALL=C"), null, Map.of(0, devNull, 1, write, 2, write), false, false));
            if (s.pidfd() != null) s.pidfd().close();
            write.close(); // so that the read below ends when the tool exits
            String out = readAll(read);
            Wait.Reaped r = Wait.wait4(s.pid(), 0);
            return new Result(out, r.status(), null);
        } catch (SpawnFailure e) {
            if (e.startedPid() > 0) {
                try {
                    Wait.wait4(e.startedPid(), 0); // it runs to its end on its own; do not leave a zombie
                } catch (SyscallException ignored) {
                    // already reaped
                }
            }
            return new Result("", null, e.step() + " failed: " + Errno.name(e.errno()) + " (" + Errno.describe(e.errno()) + ")");
        } catch (SyscallException e) {
            return new Result("", null, e.getMessage());
        } finally {
            read.close();
        }
    }

    private static String readAll(Fd fd) throws SyscallException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            long n;
            while ((n = Unistd.read(fd, buf, buf.byteSize())) > 0) {
                out.write(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), 0, (int) n);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
