package io.procwarden.internal.ffi;

import io.procwarden.SyscallException;

/**
 * errno values and names for the platforms we run on. The numbers differ between
 * Linux and macOS (EAGAIN is 11 on Linux, 35 on macOS), so every constant is resolved
 * at class initialisation for the running platform.
 */
public final class Errno {
    private Errno() {}

    private static final boolean MAC = Platform.current().isMacOs();

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int E2BIG = 7;
    public static final int ENOEXEC = 8;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = MAC ? 35 : 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int ETXTBSY = 26;
    public static final int ENOSPC = 28;
    public static final int EPIPE = 32;
    public static final int ENAMETOOLONG = MAC ? 63 : 36;
    public static final int ENOSYS = MAC ? 78 : 38;
    public static final int ELOOP = MAC ? 62 : 40;
    public static final int EOPNOTSUPP = MAC ? 102 : 95;

    /** The symbolic name of an errno value, or {@code "errno N"} when not in our table. */
    public static String name(int errno) {
        if (errno == EAGAIN) return "EAGAIN";
        if (errno == ENAMETOOLONG) return "ENAMETOOLONG";
        if (errno == ENOSYS) return "ENOSYS";
        if (errno == ELOOP) return "ELOOP";
        if (errno == EOPNOTSUPP) return "EOPNOTSUPP";
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case ESRCH -> "ESRCH";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case E2BIG -> "E2BIG";
            case ENOEXEC -> "ENOEXEC";
            case EBADF -> "EBADF";
            case ECHILD -> "ECHILD";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case ENOTDIR -> "ENOTDIR";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case ENFILE -> "ENFILE";
            case EMFILE -> "EMFILE";
            case ENOTTY -> "ENOTTY";
            case ETXTBSY -> "ETXTBSY";
            case ENOSPC -> "ENOSPC";
            case EPIPE -> "EPIPE";
            default -> "errno " + errno;
        };
    }

    /** The C library's description of an errno value. */
    public static String describe(int errno) {
        return Native.strerror(errno);
    }

    /** Builds the exception for a failed call: {@code call failed: NAME (description)}. */
    public static SyscallException exception(String call, int errno) {
        return new SyscallException(call, errno, name(errno), describe(errno));
    }

    /**
     * True for the errnos that mean "this kernel, libc or sandbox does not offer the call"
     * (ENOSYS; EPERM from a seccomp filter; EINVAL for a flag that is too new), the only ones
     * on which we fall back to another mechanism.
     */
    public static boolean meansUnsupported(int errno) {
        return errno == ENOSYS || errno == EPERM || errno == EINVAL || errno == EOPNOTSUPP;
    }
}
