package io.procwarden.internal.sys;

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
import java.util.OptionalInt;

/**
 * Reading Linux's kernel pseudo-files ({@code /proc}, and cgroupfs, which works the same way),
 * the one way procwarden does it: {@link ProcStat} reads {@code /proc/PID/stat} through here.
 */
public final class ProcFs {
    private ProcFs() {}

    /** PID_MAX_LIMIT on 64-bit Linux: the highest pid the kernel can hand out at all. */
    static final long PID_MAX_LIMIT = 4_194_304;

    /**
     * Reads a file to its end with open(2) and read(2), so that a failure carries its errno
     * ({@code open("/proc/42/stat") failed: EMFILE (Too many open files)}). The JDK's file
     * streams give only the C library's text, which is localised and cannot be told apart
     * reliably. Not {@code Files.readAllBytes} either: /proc files report size 0, and on JDK 25
     * that call returned only the first byte of {@code /proc/sys/kernel/pid_max}.
     *
     * @throws SyscallException naming the call and errno (ENOENT when the file does not exist)
     */
    public static byte[] readFile(Path path) throws SyscallException {
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

    /**
     * The kernel's pid limit, {@code /proc/sys/kernel/pid_max}; {@link #PID_MAX_LIMIT} when it
     * cannot be read (a sandbox without /proc/sys), which admits every pid the kernel can make.
     */
    public static long pidMax() {
        try {
            return Long.parseLong(new String(readFile(Path.of("/proc/sys/kernel/pid_max")), StandardCharsets.US_ASCII).trim());
        } catch (SyscallException | NumberFormatException e) {
            return PID_MAX_LIMIT;
        }
    }

    /**
     * The thread group (process) a task id belongs to, from the {@code Tgid:} line of
     * {@code /proc/ID/status}: the id itself for a process, another pid for a thread that is not
     * its process's main thread. Empty when there is no such task (or /proc cannot be read).
     */
    public static OptionalInt threadGroupOf(int id) {
        String status;
        try {
            status = new String(readFile(Path.of("/proc", Integer.toString(id), "status")), StandardCharsets.US_ASCII);
        } catch (SyscallException e) {
            return OptionalInt.empty();
        }
        for (String line : status.split("\n")) {
            if (line.startsWith("Tgid:")) {
                try {
                    return OptionalInt.of(Integer.parseInt(line.substring(5).trim()));
                } catch (NumberFormatException e) {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.empty();
    }
}
