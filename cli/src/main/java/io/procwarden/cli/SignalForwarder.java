package io.procwarden.cli;

import io.procwarden.ChildProcess;
import io.procwarden.Signal;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Passes SIGINT, SIGTERM and SIGHUP that procwarden receives on to the process group of the
 * child {@code run} started, the way a shell's job control would reach it. The child leads its
 * own group, so a Ctrl-C on the terminal (sent to procwarden's group) or a {@code kill} of
 * procwarden reaches it only through this.
 *
 * <p>Why {@code sun.misc.Signal}: the JDK has no public API to catch a signal;
 * {@code jdk.internal.misc.Signal} is not exported, and {@code sun.misc.Signal} (module
 * {@code jdk.unsupported}, readable from the class path without flags; javac warns that it is
 * internal API) is the supported way in. A handler installed through it replaces the JVM's own
 * for that signal, which would run the shutdown hooks and exit at once with 128+n while the
 * child still runs: with ours, the JVM keeps running and procwarden exits when the child does,
 * with the child's status. A signal that was ignored when the JVM started (a background job's
 * SIGINT, {@code nohup}'s SIGHUP) stays ignored: the JVM keeps it so, as a shell would.
 *
 * <p>Each forwarded signal is followed by SIGCONT, as shells do when they signal a stopped job:
 * a stopped group (a child that read the terminal from its background group gets SIGTTIN)
 * would otherwise keep the signal pending, and procwarden would wait for ever.
 *
 * <p>A signal that arrives before the child exists is held and sent once it does. Thread-safe:
 * each signal is handled on a new thread of the JVM's.
 */
final class SignalForwarder {
    private static final List<Signal> FORWARDED = List.of(Signal.INT, Signal.TERM, Signal.HUP);

    private final PrintStream err;
    private final boolean group;
    private final List<Signal> pending = new ArrayList<>(); // guarded by this
    private ChildProcess child; // guarded by this

    private SignalForwarder(PrintStream err, boolean group) {
        this.err = err;
        this.group = group;
    }

    /**
     * Installs the handlers; call before spawning, so that no signal is lost in between.
     *
     * @param group true: signals go to the child's process group (then SIGCONT); false
     *     ({@code --foreground}, as GNU timeout): to the child alone
     */
    static SignalForwarder install(PrintStream err, boolean group) {
        SignalForwarder forwarder = new SignalForwarder(err, group);
        for (Signal s : FORWARDED) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(s.shortName()), received -> forwarder.received(s));
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal for itself (-Xrs): procwarden then dies of it as any process does.
                err.println("procwarden: warning: cannot forward " + s.name() + ": " + e.getMessage());
                err.flush();
            }
        }
        return forwarder;
    }

    /** From now on, signals go to {@code child}'s group; held ones are sent now. */
    synchronized void attach(ChildProcess child) {
        this.child = child;
        pending.forEach(this::forward);
        pending.clear();
    }

    private synchronized void received(Signal signal) {
        if (child == null) {
            pending.add(signal);
        } else {
            forward(signal);
        }
    }

    private void forward(Signal signal) {
        try {
            // False once the child has been reaped: procwarden is about to exit anyway.
            if (!group) {
                child.signal(signal);
            } else if (child.signalGroup(signal)) {
                child.signalGroup(Signal.CONT);
            }
        } catch (UncheckedIOException e) {
            err.println("procwarden: cannot forward " + signal.name() + " to " + (group ? "process group " : "pid ") + child.pid()
                    + ": " + e.getCause().getMessage());
            err.flush();
        }
    }
}
