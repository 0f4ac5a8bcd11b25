package io.procwarden.testlauncher;

import io.procwarden.testing.SeccompSessionListener;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * The class-path face of {@link SeccompSessionListener}, which lives in the module under test.
 *
 * <p>Tests run on the module path, patched into {@code io.procwarden}; {@link java.util.ServiceLoader}
 * ignores a {@code META-INF/services} entry naming a class of a named module, so the JUnit
 * launcher would never call a listener there and the seccomp executions would run without their
 * filter (SeccompFallbackTest would say so). This class is compiled on its own
 * ({@code src/test-launcher}) and put on the class path (core/pom.xml), in the unnamed module,
 * where the launcher finds it; it only hands over.
 */
public final class SeccompLauncherListener implements LauncherSessionListener {
    private final SeccompSessionListener delegate = new SeccompSessionListener();

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        delegate.launcherSessionOpened(session);
    }
}
