package io.procwarden.testing;

import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.PidfdInfo;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A real seccomp-BPF filter, installed in the test JVM through FFM, that makes the calls
 * procwarden probes fail as an old kernel or a locked-down container would:
 * pidfd_open, pidfd_send_signal, close_range and waitid(P_PIDFD, ...) fail with the chosen errno
 * (ENOSYS: kernel too old; EPERM: a sandbox's policy), clone3 always with ENOSYS. A second
 * filter ({@link #installPidfdInfoBlock}) refuses only ioctl(PIDFD_GET_INFO).
 *
 * <p>clone3 never gets EPERM: glibc's posix_spawn falls back to clone only on ENOSYS, so EPERM
 * there breaks every spawn, ours and the JDK's (container runtimes switched to ENOSYS for it).
 *
 * <p>Installed with SECCOMP_FILTER_FLAG_TSYNC so every existing JVM thread gets it; it cannot be
 * removed, which is why it runs in its own forked test JVM.
 */
public final class SeccompFilter {
    private SeccompFilter() {}

    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final int RET_ALLOW = 0x7fff0000;
    private static final int RET_ERRNO = 0x00050000;
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short RET_K = 0x06;

    private record Arch(int auditArch, long prctl, long seccomp, long waitid, long ioctl) {}

    private static Arch arch() {
        return switch (Platform.current()) {
            case LINUX_X86_64 -> new Arch(0xC000003E, 157, 317, 247, 16);
            case LINUX_AARCH64 -> new Arch(0xC00000B7, 167, 277, 95, 29);
            default -> throw new UnsupportedOperationException("seccomp filter test needs Linux x86_64 or aarch64");
        };
    }

    /** Installs the filter on every thread of this process; {@code errno} is ENOSYS or EPERM. */
    public static void install(int errno) {
        Arch a = arch();
        int[][] program = {
            {LD_W_ABS, 0, 0, 4},                        // 0: A = arch
            {JEQ_K, 0, 9, a.auditArch()},               // 1: other arch -> 11 allow
            {LD_W_ABS, 0, 0, 0},                        // 2: A = nr
            {JEQ_K, 8, 0, (int) Syscalls.SYS_PIDFD_OPEN},         // 3 -> 12
            {JEQ_K, 7, 0, (int) Syscalls.SYS_PIDFD_SEND_SIGNAL},  // 4 -> 12
            {JEQ_K, 6, 0, (int) Syscalls.SYS_CLOSE_RANGE},        // 5 -> 12
            {JEQ_K, 6, 0, 435},                         // 6: clone3 -> 13
            {JEQ_K, 0, 3, (int) a.waitid()},            // 7: waitid -> 8, else 11
            {LD_W_ABS, 0, 0, 16},                       // 8: A = low word of args[0] (idtype)
            {JEQ_K, 2, 0, 3},                           // 9: P_PIDFD -> 12
            {RET_K, 0, 0, RET_ALLOW},                   // 10
            {RET_K, 0, 0, RET_ALLOW},                   // 11
            {RET_K, 0, 0, RET_ERRNO | errno},           // 12
            {RET_K, 0, 0, RET_ERRNO | Errno.ENOSYS},    // 13
        };
        load(a, program);
    }

    /**
     * Installs a filter that refuses only {@code ioctl(fd, PIDFD_GET_INFO, ...)} with {@code errno}:
     * pidfds work, but the kernel seems to keep no status for reaped processes (as before 6.15,
     * or in a sandbox that allows only the ioctls it knows).
     */
    public static void installPidfdInfoBlock(int errno) {
        Arch a = arch();
        int[][] program = {
            {LD_W_ABS, 0, 0, 4},                        // 0: A = arch
            {JEQ_K, 0, 4, a.auditArch()},               // 1: other arch -> 6 allow
            {LD_W_ABS, 0, 0, 0},                        // 2: A = nr
            {JEQ_K, 0, 2, (int) a.ioctl()},             // 3: ioctl -> 4, else 6
            {LD_W_ABS, 0, 0, 24},                       // 4: A = low word of args[1] (the command)
            {JEQ_K, 1, 0, (int) PidfdInfo.PIDFD_GET_INFO}, // 5: PIDFD_GET_INFO -> 7, else 6
            {RET_K, 0, 0, RET_ALLOW},                   // 6
            {RET_K, 0, 0, RET_ERRNO | errno},           // 7
        };
        load(a, program);
    }

    private static void load(Arch a, int[][] program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment filter = arena.allocate(8L * program.length, 8);
            for (int i = 0; i < program.length; i++) {
                filter.set(ValueLayout.JAVA_SHORT, i * 8L, (short) program[i][0]);
                filter.set(ValueLayout.JAVA_BYTE, i * 8L + 2, (byte) program[i][1]);
                filter.set(ValueLayout.JAVA_BYTE, i * 8L + 3, (byte) program[i][2]);
                filter.set(ValueLayout.JAVA_INT, i * 8L + 4, program[i][3]);
            }
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            MemorySegment fprog = arena.allocate(16, 8);
            fprog.set(ValueLayout.JAVA_SHORT, 0, (short) program.length);
            fprog.set(ValueLayout.ADDRESS, 8, filter);
            Syscalls.Result r = Syscalls.call(a.prctl(), PR_SET_NO_NEW_PRIVS, 1, 0, 0);
            if (r.failed()) throw new IllegalStateException("prctl(PR_SET_NO_NEW_PRIVS) failed: " + Errno.name(r.errno()));
            r = Syscalls.call(a.seccomp(), SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, fprog.address(), 0);
            if (r.failed() || r.value() != 0) {
                throw new IllegalStateException("seccomp(SET_MODE_FILTER, TSYNC) failed: " + Errno.name(r.errno())
                        + " (returned " + r.value() + ")");
            }
        }
    }
}
