package io.procwarden.cli;

import io.procwarden.MonitorBackend;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code procwarden --version}: the version from the jar manifest ({@code Implementation-Version},
 * written by the build) and the process monitor backend this system gets.
 */
public final class VersionProvider implements IVersionProvider {
    /** Creates the provider (picocli instantiates it). */
    public VersionProvider() {}

    @Override
    public String[] getVersion() {
        String version = Main.class.getPackage().getImplementationVersion();
        String backend;
        try {
            backend = MonitorBackend.selected().id();
        } catch (RuntimeException e) {
            backend = "none (" + e.getMessage() + ")";
        }
        return new String[] {
            "procwarden " + (version != null ? version : "(development build, no jar manifest)"),
            "monitor backend: " + backend,
            "java: " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}
