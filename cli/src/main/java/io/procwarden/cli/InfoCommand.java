package io.procwarden.cli;

import io.procwarden.MonitorBackend;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code procwarden info}: what procwarden sees on this system: OS, kernel, C library, JDK,
 * pid_max, the process monitor backend it chose and why each other backend is or is not
 * available (the probe's cause: the call and errno that failed).
 */
@Command(name = "info",
        description = "Show the platform facts procwarden depends on and the monitor backend it chose.",
        footer = {
            "",
            "Examples:",
            "  procwarden info",
            "  procwarden info | grep backend",
            "",
            "Programs using the library can force a backend with the system property",
            "procwarden.monitor.backend=pidfd|kqueue|polling; 'info' shows the effect.",
            "",
            "Exit status: 0 ok, 1 internal error, 125 usage error."
        })
public final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    /** Creates the command (picocli instantiates it). */
    public InfoCommand() {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        row(out, "os", SystemFacts.operatingSystem());
        row(out, "kernel", SystemFacts.kernel());
        row(out, "libc", SystemFacts.libc());
        row(out, "java", SystemFacts.java());
        row(out, "pid_max", SystemFacts.pidMax());
        row(out, "backend", selectedBackend());
        out.println("backends:");
        for (MonitorBackend b : MonitorBackend.values()) {
            out.printf("  %-8s %s%n", b.id(), b.unavailabilityCause()
                    .map(cause -> "unavailable: " + cause)
                    .orElse("available: " + b.description()));
        }
        out.flush();
        return 0;
    }

    private static String selectedBackend() {
        String property = System.getProperty(MonitorBackend.PROPERTY);
        try {
            MonitorBackend b = MonitorBackend.selected();
            String why = property == null || property.isBlank() || property.strip().equalsIgnoreCase("auto")
                    ? "the best available"
                    : "set by -D" + MonitorBackend.PROPERTY + "=" + property;
            return b.id() + " (" + b.description() + "; " + why + ")";
        } catch (RuntimeException e) {
            return "none: " + e.getMessage();
        }
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf("%-9s %s%n", key + ":", value);
    }
}
