package io.procwarden.internal.ffi;

import io.procwarden.ExitStatus;
import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * What the kernel tells about a pidfd's process after it is gone: {@code ioctl(pidfd,
 * PIDFD_GET_INFO)} with {@code PIDFD_INFO_EXIT} (Linux 6.15) gives the wait status of a process
 * once whoever reaps it has reaped it, child of ours or not. Plus the two calls the probe needs to
 * see that happen on a thread of its own (a thread's pidfd, Linux 6.9, and gettid).
 *
 * <p>{@code struct pidfd_info}: mask u64 at 0, cgroupid u64 at 8, then u32 pid, tgid, ppid, ruid,
 * rgid, euid, egid, suid, sgid, fsuid, fsgid (16..60), s32 exit_code at 60: 64 bytes, the first
 * version of the struct ({@code PIDFD_INFO_SIZE_VER0}); the ioctl is extensible, the kernel takes
 * the size from the command ({@code _IOWR(0xFF, 11, 64 bytes)}) and fills what fits.
 *
 * <p>Before the reap the ioctl succeeds without {@code PIDFD_INFO_EXIT} in the returned mask. In
 * the moment between the reap and the kernel publishing the status it answers ESRCH (measured on
 * 6.18: ~160 of 2,000 reaps by another process, seen by a thread calling it in a loop; never once
 * the pidfd has hung up, which comes after). A kernel from 6.13 or 6.14 (PIDFD_GET_INFO without
 * PIDFD_INFO_EXIT) answers ESRCH after the reap for good; an older one ENOTTY; a seccomp filter
 * ENOSYS or EPERM.
 */
public final class PidfdInfo {
    private PidfdInfo() {}

    /** {@code _IOWR(0xFF, 11, struct pidfd_info)} with the 64-byte first version of the struct. */
    public static final long PIDFD_GET_INFO = 0xC040FF0BL;
    public static final long PIDFD_INFO_EXIT = 0x8;
    /** pidfd_open flag for a thread's pidfd (O_EXCL): Linux 6.9. */
    public static final int PIDFD_THREAD = 0x80;
    static final long SIZE = 64;
    static final long MASK = 0;
    static final long EXIT_CODE = 60;

    private static final long SYS_IOCTL = switch (Platform.current()) {
        case LINUX_X86_64 -> 16;
        case LINUX_AARCH64 -> 29;
        default -> -1;
    };
    private static final long SYS_GETTID = switch (Platform.current()) {
        case LINUX_X86_64 -> 186;
        case LINUX_AARCH64 -> 178;
        default -> -1;
    };

    /**
     * The wait status the kernel kept for the pidfd's process, once it has been reaped.
     *
     * @return the status; empty while the process is alive, a zombie not yet reaped, or reaped
     *     an instant ago (ESRCH: the hang-up, and the status, follow)
     * @throws SyscallException from the ioctl (ENOTTY before 6.13, ENOSYS/EPERM from a seccomp filter)
     */
    public static Optional<ExitStatus> exitStatus(Fd pidfd) throws SyscallException {
        int fd = pidfd.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIZE, 8);
            while (true) {
                info.fill((byte) 0);
                info.set(ValueLayout.JAVA_LONG, MASK, PIDFD_INFO_EXIT);
                Syscalls.Result r = Syscalls.call(SYS_IOCTL, fd, PIDFD_GET_INFO, info.address(), 0);
                if (!r.failed()) break;
                if (r.errno() == Errno.ESRCH) return Optional.empty(); // reaped, status not yet published
                if (r.errno() != Errno.EINTR) {
                    throw Errno.exception("ioctl(" + pidfd + ", PIDFD_GET_INFO, PIDFD_INFO_EXIT)", r.errno());
                }
            }
            return decode(info);
        } finally {
            pidfd.release();
        }
    }

    /** Decodes a filled {@code struct pidfd_info}: the exit status if the kernel set PIDFD_INFO_EXIT. */
    static Optional<ExitStatus> decode(MemorySegment info) {
        if ((info.get(ValueLayout.JAVA_LONG, MASK) & PIDFD_INFO_EXIT) == 0) return Optional.empty();
        return Optional.of(Wait.decodeWaitStatus(info.get(ValueLayout.JAVA_INT, EXIT_CODE)));
    }

    /** {@code gettid()}: the calling thread's kernel id. */
    public static int gettid() {
        Syscalls.Result r = Syscalls.call(SYS_GETTID, 0, 0, 0, 0);
        if (r.failed()) throw new IllegalStateException("gettid failed: " + Errno.name(r.errno()));
        return (int) r.value();
    }

    /**
     * {@code pidfd_open(tid, PIDFD_THREAD)}: a pidfd for one thread of this process, readable when
     * that thread exits. EINVAL means a kernel before 6.9 (kept as is: not turned into ESRCH).
     */
    public static Fd openThread(int tid) throws SyscallException {
        while (true) {
            Syscalls.Result r = Syscalls.call(Syscalls.SYS_PIDFD_OPEN, tid, PIDFD_THREAD, 0, 0);
            if (!r.failed()) return Fd.adopt((int) r.value(), "pidfd of thread " + tid);
            if (r.errno() != Errno.EINTR) throw Errno.exception("pidfd_open(" + tid + ", PIDFD_THREAD)", r.errno());
        }
    }
}
