package io.procwarden.internal.sys;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import java.nio.charset.StandardCharsets;
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

    /**
     * Reads {@code /proc/PID/stat}; empty when there is no such process.
     *
     * @throws java.io.UncheckedIOException when the file exists but cannot be read; its cause is
     *     a {@link SyscallException} naming the errno (EMFILE, EACCES, ...)
     */
    public static Optional<ProcStat> read(int pid) {
        byte[] bytes;
        try {
            bytes = ProcFs.readFile(Path.of("/proc", Integer.toString(pid), "stat"));
        } catch (SyscallException e) {
            // ENOENT: no such process. ESRCH: it vanished between open and read.
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ESRCH) {
                return Optional.empty();
            }
            // Anything else (EMFILE, EACCES) says nothing about the process: never "gone".
            throw new java.io.UncheckedIOException("cannot read /proc/" + pid + "/stat: " + e.getMessage(), e);
        }
        return Optional.of(parse(pid, new String(bytes, StandardCharsets.US_ASCII)));
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
