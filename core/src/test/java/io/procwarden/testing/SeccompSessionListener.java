package io.procwarden.testing;

import io.procwarden.internal.ffi.Errno;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * When the system property {@value #PROPERTY} is {@code ENOSYS} or {@code EPERM}, installs the
 * {@link SeccompFilter} before any test class is loaded, so procwarden's one-time probes see a
 * kernel without pidfds and close_range; with {@value #PIDFD_INFO}, one that refuses only
 * ioctl(PIDFD_GET_INFO), so pidfds work but no status of a reaped process can be read. Used by the {@code seccomp-*} surefire executions.
 */
public final class SeccompSessionListener implements LauncherSessionListener {
    public static final String PROPERTY = "procwarden.test.seccomp";
    /** The mode that blocks only ioctl(PIDFD_GET_INFO), with EPERM. */
    public static final String PIDFD_INFO = "PIDFD_INFO";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        String mode = System.getProperty(PROPERTY, "");
        switch (mode) {
            case "" -> { }
            case "ENOSYS" -> SeccompFilter.install(Errno.ENOSYS);
            case "EPERM" -> SeccompFilter.install(Errno.EPERM);
            case PIDFD_INFO -> {
                SeccompFilter.installPidfdInfoBlock(Errno.EPERM);
                System.out.println("[procwarden] seccomp filter installed: ioctl(PIDFD_GET_INFO) -> EPERM");
                return;
            }
            default -> throw new IllegalArgumentException(PROPERTY + " must be ENOSYS, EPERM or " + PIDFD_INFO
                    + ", not \"" + mode + "\"");
        }
        if (!mode.isEmpty()) {
            System.out.println("[procwarden] seccomp filter installed: pidfd_open, pidfd_send_signal, close_range, "
                    + "waitid(P_PIDFD) -> " + mode + "; clone3 -> ENOSYS");
        }
    }
}
