package io.procwarden;

import java.io.IOException;

/**
 * A system call or libc function failed.
 *
 * <p>Carries the name of the call, the {@code errno} value, its symbolic name
 * (for example {@code EMFILE}) and the C library's description, so that a log
 * line says exactly what failed:
 * {@code pidfd_open(4242) failed: EMFILE (Too many open files)}.
 *
 * <p>Instances are immutable.
 */
public class SyscallException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;
    private final String errnoName;

    /**
     * Creates an exception for a failed call.
     *
     * @param call the call and, where useful, its arguments, e.g. {@code "pidfd_open(42)"}
     * @param errno the error number returned or left in {@code errno}
     * @param errnoName the symbolic name, e.g. {@code "ESRCH"}
     * @param description the C library's text for the error
     */
    public SyscallException(String call, int errno, String errnoName, String description) {
        super(call + " failed: " + errnoName + " (" + description + ")");
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /** Creates an exception with a caller-supplied message that still records the call and errno. */
    protected SyscallException(String message, String call, int errno, String errnoName) {
        super(message);
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /** The call that failed, with arguments where they help (e.g. {@code "pidfd_open(42)"}). */
    public String call() {
        return call;
    }

    /** The platform's error number. */
    public int errno() {
        return errno;
    }

    /** The symbolic error name, e.g. {@code "EMFILE"}; {@code "errno N"} when unknown. */
    public String errnoName() {
        return errnoName;
    }
}
