package io.procwarden.cli;

import io.procwarden.FdCloseMechanism;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessSpec;
import io.procwarden.TreeMechanism;
import java.io.PrintStream;

/**
 * {@code procwarden info}: what procwarden sees on this system: OS, kernel, C library, JDK,
 * pid_max, the process monitor backend it chose and why each other backend is or is not
 * available (the probe's cause: the call and errno that failed), how spawned children lose
 * the descriptors they were not given, and whether they get a pidfd.
 */
final class InfoCommand {
    static final String HELP = """
            Usage: procwarden info [-h] [--debug]
            Show the platform facts procwarden depends on: the monitor backend it chose,
            how children's fds are closed, pidfd support.
                  --debug   Show the stack trace of errors.
              -h, --help    Show this help and exit.

            Examples:
              procwarden info
              procwarden info | grep backend

            Programs using the library can force a backend with the system property
            procwarden.monitor.backend=pidfd|kqueue|polling, and the fd-closing
            mechanism with procwarden.spawn.fdclose=closefrom|cloexec-default|enumerate.

            Exit status: 0 ok, 1 internal error, 125 usage error.
            """;

    private InfoCommand() {}

    /** Reads the options (there are no arguments); false after {@code --help}. */
    static boolean parse(Args a, Main.Flags flags) {
        for (String o; (o = a.option()) != null; ) {
            switch (o) {
                case "--debug" -> flags.debug = a.flag();
                case "-h", "--help" -> {
                    a.flag();
                    System.out.print(HELP);
                    return false;
                }
                default -> throw a.unknown();
            }
        }
        if (a.hasMore()) {
            throw a.usage("Unmatched argument at index 0: '" + a.rest().getFirst() + "' (info takes no arguments)");
        }
        return true;
    }

    /** Prints the facts; returns 0. */
    static int call(PrintStream out) {
        row(out, "os", SystemFacts.operatingSystem());
        row(out, "kernel", SystemFacts.kernel());
        row(out, "libc", SystemFacts.libc());
        row(out, "java", SystemFacts.java());
        row(out, "pid_max", SystemFacts.pidMax());
        row(out, "backend", selectedBackend());
        row(out, "fd close", fdCloseMechanism());
        row(out, "pidfd", pidfd());
        row(out, "tree", tree());
        out.println("backends:");
        for (MonitorBackend b : MonitorBackend.values()) {
            out.printf("  %-8s %s%n", b.id(), b.unavailabilityCause()
                    .map(cause -> "unavailable: " + cause.getMessage())
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

    private static String fdCloseMechanism() {
        try {
            FdCloseMechanism m = ProcessSpec.fdCloseMechanism();
            return m.id() + " (" + m.description() + ")";
        } catch (IllegalStateException e) { // a bad -Dprocwarden.spawn.fdclose: every spawn would fail so
            return "none: " + e.getMessage();
        }
    }

    /** The rung of the tree ladder {@code run} would hold CMD's tree with (the subreaper allowed, as run does). */
    private static String tree() {
        TreeMechanism.allowSubreaper(); // only allows it: nothing changes until a tree is made
        try {
            TreeMechanism m = TreeMechanism.selected();
            return m.id() + " (" + m.description() + ")";
        } catch (RuntimeException e) {
            return "none: " + e.getMessage() + "; run goes on without";
        }
    }

    /** The same probe decides the pidfd backend and whether spawned children get a pidfd. */
    private static String pidfd() {
        return MonitorBackend.PIDFD.unavailabilityCause()
                .map(cause -> "no (" + cause.getMessage() + "); children are signalled by pid, only while unreaped")
                .orElse("yes (pidfd_open, pidfd_send_signal, waitid(P_PIDFD)); children are signalled"
                        + " through their pidfd");
    }

    private static void row(PrintStream out, String key, String value) {
        out.printf("%-9s %s%n", key + ":", value);
    }
}
