package io.procwarden.testing;

import io.procwarden.internal.ffi.Errno;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * When the system property {@value #PROPERTY} is {@code ENOSYS} or {@code EPERM}, installs the
 * {@link SeccompFilter} before any test class is loaded, so procwarden's one-time probes see a
 * kernel without pidfds and close_range. Used by the {@code seccomp-*} surefire executions.
 */
public final class SeccompSessionListener implements LauncherSessionListener {
    public static final String PROPERTY = "procwarden.test.seccomp";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        String mode = System.getProperty(PROPERTY, "");
        switch (mode) {
            case "" -> { }
            case "ENOSYS" -> SeccompFilter.install(Errno.ENOSYS);
            case "EPERM" -> SeccompFilter.install(Errno.EPERM);
            default -> throw new IllegalArgumentException(PROPERTY + " must be ENOSYS or EPERM, not \"" + mode + "\"");
        }
        if (!mode.isEmpty()) {
            System.out.println("[procwarden] seccomp filter installed: pidfd_open, pidfd_send_signal, close_range, "
                    + "waitid(P_PIDFD) -> " + mode + "; clone3 -> ENOSYS");
        }
    }
}
