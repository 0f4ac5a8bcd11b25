package io.procwarden.internal.monitor;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
            bytes = readProcFile(Path.of("/proc", Integer.toString(pid), "stat"));
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

    /**
     * Reads a /proc file to its end with open(2) and read(2), so that a failure carries its
     * errno ({@code open("/proc/42/stat") failed: EMFILE (Too many open files)}). The JDK's file
     * streams give only the C library's text, which is localised and cannot be told apart
     * reliably. Not {@code Files.readAllBytes} either: /proc files report size 0, and on JDK 25
     * that call returned only the first byte of {@code /proc/sys/kernel/pid_max}.
     *
     * @throws SyscallException naming the call and errno (ENOENT when the file does not exist)
     */
    public static byte[] readProcFile(Path path) throws SyscallException {
        try (Fd fd = Unistd.open(path.toString(), Unistd.O_RDONLY, 0); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            ByteArrayOutputStream out = new ByteArrayOutputStream(512);
            while (true) {
                long n = Unistd.read(fd, buf, buf.byteSize());
                if (n == 0) return out.toByteArray();
                if (n < 0) {
                    throw Errno.exception("read(\"" + path + "\")", Errno.EAGAIN); // not a non-blocking fd: cannot happen
                }
                out.write(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), 0, (int) n);
            }
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
