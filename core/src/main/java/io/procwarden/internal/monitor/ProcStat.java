package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The fields of Linux {@code /proc/PID/stat} that identify a process instance.
 *
 * <p>A pid number is reused after its process is reaped; the pair (pid, start time) is not:
 * field 22 {@code starttime} is the start in clock ticks since boot. Field 2 {@code comm} is in
 * parentheses and may itself contain spaces and parentheses, so parsing starts after the last
 * {@code ')'}.
 *
 * @param pid the pid
 * @param state field 3: R, S, D, Z (zombie), X (dead), ...
 * @param ppid field 4: the parent's pid
 * @param pgrp field 5: the process group
 * @param session field 6: the session id
 * @param startTime field 22: start time in clock ticks since boot
 */
public record ProcStat(int pid, char state, int ppid, int pgrp, int session, long startTime) {

    private static final int STAT_BUFFER = 4096;

    /**
     * Reads {@code /proc/PID/stat}; empty when there is no such process.
     *
     * @throws UncheckedIOException when the file exists but cannot be read (EMFILE, ...)
     */
    public static Optional<ProcStat> read(int pid) {
        // Our own open/read rather than java.nio: the errno stays exact (EMFILE is not "gone"),
        // and one stat line always fits the buffer.
        String path = "/proc/" + pid + "/stat";
        Fd fd;
        try {
            fd = Unistd.open(path, Unistd.O_RDONLY, 0);
        } catch (SyscallException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ESRCH) return Optional.empty();
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
        try (fd; Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(STAT_BUFFER);
            long n = Unistd.read(fd, buf, STAT_BUFFER);
            if (n <= 0) return Optional.empty(); // 0: the process is being released
            return Optional.of(parse(pid, new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.US_ASCII)));
        } catch (SyscallException e) {
            // ESRCH while reading: the process vanished between open and read.
            if (e.errno() == Errno.ESRCH) return Optional.empty();
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a /proc file to its end in one large read. Not {@code Files.readAllBytes}: /proc files
     * report size 0, so it reads one byte first, and integer sysctl files answer a read that does
     * not start at offset 0 with end-of-file: {@code /proc/sys/kernel/pid_max} came back as "3".
     */
    public static byte[] readProcFile(Path path) throws IOException {
        try (var in = Files.newInputStream(path)) {
            return in.readAllBytes();
        }
    }

    /** Parses the contents of a stat file. */
    public static ProcStat parse(int pid, String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("malformed /proc/" + pid + "/stat: " + stat);
        }
        // After ") ": field 3 is index 0.
        String[] f = stat.substring(close + 2).trim().split(" ");
        if (f.length < 20) {
            throw new IllegalArgumentException("short /proc/" + pid + "/stat: " + stat);
        }
        return new ProcStat(pid, f[0].charAt(0), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                Integer.parseInt(f[3]), Long.parseLong(f[19]));
    }

    /** True once the process has exited (zombie, or dead and being released). */
    public boolean hasExited() {
        return state == 'Z' || state == 'X' || state == 'x';
    }
}
