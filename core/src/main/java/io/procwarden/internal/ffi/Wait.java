package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;
import static io.procwarden.internal.ffi.Native.C_LONG;
import static io.procwarden.internal.ffi.Native.C_POINTER;

import io.procwarden.ExitStatus;
import io.procwarden.ResourceUsage;
import io.procwarden.Signal;
import io.procwarden.SyscallException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;

/**
 * Bindings for {@code <sys/wait.h>}: reaping children and decoding how they ended.
 *
 * <p>On Linux we call the raw {@code waitid} system call rather than glibc's wrapper: the kernel's
 * version takes a fifth argument, a {@code struct rusage *}, so one call reaps a pidfd's child and
 * returns its resource usage, with no window in which the pid could be reused (waitid(P_PIDFD)
 * needs Linux 5.4). Elsewhere, {@code wait4} gives the same by pid.
 */
public final class Wait {
    private Wait() {}

    private static final Platform PLATFORM = Platform.current();

    public static final int P_ALL = 0;
    public static final int P_PID = 1;
    /** waitid by pidfd: Linux 5.4. */
    public static final int P_PIDFD = 3;
    public static final int WNOHANG = 1;
    public static final int WEXITED = 4;
    public static final int WNOWAIT = PLATFORM.isMacOs() ? 0x20 : 0x01000000;

    public static final int CLD_EXITED = 1;
    public static final int CLD_KILLED = 2;
    public static final int CLD_DUMPED = 3;

    /**
     * {@code siginfo_t} as the kernel fills it for SIGCHLD-type results (Linux, x86_64 and aarch64):
     * 128 bytes; si_signo 0, si_errno 4, si_code 8, si_pid 16, si_uid 20, si_status 24.
     */
    public static final StructLayout SIGINFO = MemoryLayout.structLayout(
            C_INT.withName("si_signo"),
            C_INT.withName("si_errno"),
            C_INT.withName("si_code"),
            MemoryLayout.paddingLayout(4),
            C_INT.withName("si_pid"),
            C_INT.withName("si_uid"),
            C_INT.withName("si_status"),
            MemoryLayout.paddingLayout(128 - 28));

    public static final long SI_SIGNO = SIGINFO.byteOffset(MemoryLayout.PathElement.groupElement("si_signo"));
    public static final long SI_CODE = SIGINFO.byteOffset(MemoryLayout.PathElement.groupElement("si_code"));
    public static final long SI_PID = SIGINFO.byteOffset(MemoryLayout.PathElement.groupElement("si_pid"));
    public static final long SI_STATUS = SIGINFO.byteOffset(MemoryLayout.PathElement.groupElement("si_status"));

    /**
     * {@code struct rusage} on 64-bit Linux and macOS: two {@code struct timeval} (16 bytes each)
     * then 14 longs; 144 bytes. ru_maxrss is KiB on Linux and bytes on macOS.
     */
    public static final StructLayout RUSAGE = MemoryLayout.structLayout(
            C_LONG.withName("ru_utime_sec"),
            C_LONG.withName("ru_utime_usec"),
            C_LONG.withName("ru_stime_sec"),
            C_LONG.withName("ru_stime_usec"),
            C_LONG.withName("ru_maxrss"),
            MemoryLayout.paddingLayout(144 - 40));

    public static final long RU_UTIME_SEC = 0;
    public static final long RU_UTIME_USEC = 8;
    public static final long RU_STIME_SEC = 16;
    public static final long RU_STIME_USEC = 24;
    public static final long RU_MAXRSS = 32;

    /** How a reap went: the status, and the usage when the kernel gave one. */
    public record Reaped(ExitStatus status, ResourceUsage usage) {}

    private static final long SYS_WAITID = switch (PLATFORM) {
        case LINUX_X86_64 -> 247;
        case LINUX_AARCH64 -> 95;
        default -> -1;
    };

    // long syscall(long number, ...);  here: waitid(int which, pid_t upid, siginfo_t *infop, int options, struct rusage *ru)
    private static final class WaitidH {
        static final MethodHandle MH = Native.functionWithErrno("syscall",
                FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_POINTER, C_LONG, C_POINTER),
                Linker.Option.firstVariadicArg(1));
    }

    // pid_t wait4(pid_t pid, int *wstatus, int options, struct rusage *rusage);
    private static final class Wait4H {
        static final MethodHandle MH = Native.functionWithErrno("wait4",
                FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_POINTER));
    }

    /**
     * {@code waitid(P_PIDFD, pidfd, WEXITED | extra)} with rusage, retried on EINTR.
     *
     * @return the status and usage; {@code null} if {@code WNOHANG} was given and the child has not exited
     * @throws SyscallException ECHILD when the process is not our child or was already reaped
     */
    public static Reaped waitidPidfd(Fd pidfd, int extraOptions) throws SyscallException {
        int n = pidfd.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIGINFO);
            MemorySegment usage = arena.allocate(RUSAGE);
            MemorySegment st = Native.errnoState();
            while (true) {
                long r = (long) WaitidH.MH.invokeExact(st, SYS_WAITID, (long) P_PIDFD, (long) n, info,
                        (long) (WEXITED | extraOptions), usage);
                if (r == 0) break;
                int e = Native.errno(st);
                if (e != Errno.EINTR) throw Errno.exception("waitid(P_PIDFD, " + pidfd + ")", e);
            }
            if (info.get(C_INT, SI_PID) == 0) {
                return null;
            }
            return new Reaped(decodeSiginfo(info), (extraOptions & WNOWAIT) != 0 ? null : decodeRusage(usage));
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            pidfd.release();
        }
    }

    /**
     * Linux: {@code waitid(P_PID, pid, WEXITED | extra)} without rusage, retried on EINTR. With
     * {@code WNOHANG | WNOWAIT} it reads how a child of this process ended and leaves it to be
     * reaped by its owner (the JDK's reaper, another library).
     *
     * @return the status; {@code null} if {@code WNOHANG} was given and the child has not exited
     * @throws SyscallException ECHILD when the process is not a child of this process (or was reaped)
     */
    public static Reaped waitidPid(int pid, int extraOptions) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIGINFO);
            MemorySegment st = Native.errnoState();
            while (true) {
                long r = (long) WaitidH.MH.invokeExact(st, SYS_WAITID, (long) P_PID, (long) pid, info,
                        (long) (WEXITED | extraOptions), MemorySegment.NULL);
                if (r == 0) break;
                int e = Native.errno(st);
                if (e != Errno.EINTR) throw Errno.exception("waitid(P_PID, " + pid + ")", e);
            }
            if (info.get(C_INT, SI_PID) == 0) return null;
            return new Reaped(decodeSiginfo(info), null);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Linux: the pid of one of our children that has exited, without reaping it:
     * {@code waitid(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT)}. One call answers "has any
     * child exited?", which lets the polling backend skip per-child checks when none has.
     *
     * @param info a {@link #SIGINFO}-sized scratch segment
     * @return the pid; 0 if no child has exited; -1 if we have no children at all (ECHILD)
     */
    public static int peekExitedChild(MemorySegment info) throws SyscallException {
        info.set(C_INT, SI_PID, 0);
        try {
            MemorySegment st = Native.errnoState();
            while (true) {
                long r = (long) WaitidH.MH.invokeExact(st, SYS_WAITID, (long) P_ALL, 0L, info,
                        (long) (WEXITED | WNOHANG | WNOWAIT), MemorySegment.NULL);
                if (r == 0) return info.get(C_INT, SI_PID);
                int e = Native.errno(st);
                if (e == Errno.ECHILD) return -1;
                if (e != Errno.EINTR) throw Errno.exception("waitid(P_ALL, WNOWAIT)", e);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code wait4(pid, &status, options, &rusage)}, retried on EINTR.
     *
     * @return the status and usage; {@code null} if {@code WNOHANG} was given and the child has not exited
     * @throws SyscallException ECHILD when the process is not our child or was already reaped
     */
    public static Reaped wait4(int pid, int options) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(C_INT);
            MemorySegment usage = arena.allocate(RUSAGE);
            MemorySegment st = Native.errnoState();
            while (true) {
                int r = (int) Wait4H.MH.invokeExact(st, pid, status, options, usage);
                if (r == pid) break;
                if (r == 0) return null;
                int e = Native.errno(st);
                if (e != Errno.EINTR) throw Errno.exception("wait4(" + pid + ")", e);
            }
            return new Reaped(decodeWaitStatus(status.get(C_INT, 0)), decodeRusage(usage));
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Decodes a filled {@code siginfo_t} from waitid. */
    public static ExitStatus decodeSiginfo(MemorySegment info) {
        int code = info.get(C_INT, SI_CODE);
        int status = info.get(C_INT, SI_STATUS);
        return switch (code) {
            case CLD_EXITED -> new ExitStatus.Exited(status & 0xff);
            case CLD_KILLED -> new ExitStatus.Signaled(Signal.of(status), false);
            case CLD_DUMPED -> new ExitStatus.Signaled(Signal.of(status), true);
            default -> throw new IllegalStateException("waitid(WEXITED) returned si_code " + code);
        };
    }

    /** Decodes a traditional wait status word ({@code WIFEXITED}, {@code WTERMSIG}, {@code WCOREDUMP}). */
    public static ExitStatus decodeWaitStatus(int status) {
        int low = status & 0x7f;
        if (low == 0) {
            return new ExitStatus.Exited((status >> 8) & 0xff);
        }
        if (low != 0x7f) {
            return new ExitStatus.Signaled(Signal.of(low), (status & 0x80) != 0);
        }
        throw new IllegalStateException("wait status is a stop, not an exit: 0x" + Integer.toHexString(status));
    }

    /** Decodes a filled {@code struct rusage}. */
    public static ResourceUsage decodeRusage(MemorySegment ru) {
        long maxrss = ru.get(C_LONG, RU_MAXRSS);
        return new ResourceUsage(
                Duration.ofSeconds(ru.get(C_LONG, RU_UTIME_SEC), ru.get(C_LONG, RU_UTIME_USEC) * 1000),
                Duration.ofSeconds(ru.get(C_LONG, RU_STIME_SEC), ru.get(C_LONG, RU_STIME_USEC) * 1000),
                PLATFORM.isMacOs() ? maxrss : maxrss * 1024);
    }
}
