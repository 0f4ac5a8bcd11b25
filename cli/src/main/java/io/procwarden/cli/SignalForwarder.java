package io.procwarden.cli;

import io.procwarden.ChildProcess;
import io.procwarden.Signal;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Passes on every signal that would kill procwarden and that the JVM lets us catch: SIGINT,
 * SIGTERM, SIGHUP, SIGUSR1, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS, SIGSTKFLT and
 * SIGXCPU go to the whole tree of the child {@code run} started (its process group with
 * {@code --no-tree}; the child alone with {@code --foreground}), then SIGCONT, and procwarden
 * lives on until the child ends. The child leads its own group, so a Ctrl-C on the terminal
 * (sent to procwarden's group) or a {@code kill} of procwarden reaches it only through this.
 * The signals the JVM keeps for itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL: a crash; SIGQUIT and
 * SIGUSR2 do not kill it) and SIGKILL cannot be caught: the child's parent-death SIGKILL covers
 * those ({@link RunOptions}).
 *
 * <p>Why {@code sun.misc.Signal}: the JDK has no public API to catch a signal;
 * {@code jdk.internal.misc.Signal} is not exported, and {@code sun.misc.Signal} (module
 * {@code jdk.unsupported}, readable from the class path without flags; javac warns that it is
 * internal API) is the supported way in. A handler installed through it replaces the JVM's own
 * for that signal, which would run the shutdown hooks and exit at once with 128+n while the
 * child still runs. A signal that was ignored when the JVM started stays ignored (the JVM keeps
 * it so, as a shell would: {@code nohup}'s SIGHUP), except SIGINT: a shell starts a background
 * job ({@code cmd &} in a script) with SIGINT ignored, and a {@code kill -INT} of that job must
 * still reach CMD, so SIGINT is set back to its default before the handler is installed.
 *
 * <p>A signal that arrives before the child exists is held and sent once it does. Thread-safe:
 * each signal is handled on a new thread of the JVM's.
 */
final class SignalForwarder {
    /** Forwarded; a failure to install one of the first three is worth a warning. */
    private static final List<String> FORWARDED = List.of("INT", "TERM", "HUP", "USR1", "ALRM", "VTALRM", "PROF", "IO",
            "PWR", "SYS", "STKFLT", "XCPU");
    private static final int WARN_FOR = 3;

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
     * @param group true: signals go to the child's tree or process group (then SIGCONT); false
     *     ({@code --foreground}, as GNU timeout): to the child alone
     */
    static SignalForwarder install(PrintStream err, boolean group) {
        SignalForwarder forwarder = new SignalForwarder(err, group);
        unignoreSigint(err);
        for (int i = 0; i < FORWARDED.size(); i++) {
            Signal s = Signal.byName(FORWARDED.get(i)).orElse(null);
            if (s == null) continue; // not on this system (SIGPWR, SIGSTKFLT on macOS)
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(s.shortName()), received -> forwarder.received(s));
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal (-Xrs, or its own use): procwarden dies of it as any
                // process does, and CMD by its parent-death signal.
                if (i < WARN_FOR) {
                    err.println("procwarden: warning: cannot forward " + s.name() + ": " + e.getMessage());
                    err.flush();
                }
            }
        }
        return forwarder;
    }

    /** From now on, signals go to {@code child}'s tree or group; held ones are sent now. */
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
        boolean tree = group && child.treeMechanism().isPresent();
        try {
            // False once the child has been reaped: procwarden is about to exit anyway.
            if (!group) {
                child.signal(signal);
            } else if (tree) {
                if (child.signalTree(signal)) child.signalTree(Signal.CONT);
            } else if (child.signalGroup(signal)) {
                child.signalGroup(Signal.CONT);
            }
        } catch (UncheckedIOException e) {
            err.println("procwarden: cannot forward " + signal.name() + " to "
                    + (tree ? "the tree of pid " : group ? "process group " : "pid ") + child.pid()
                    + ": " + e.getCause().getMessage());
            err.flush();
        }
    }

    /** SIG_IGN, as {@code sigaction}'s first field (the handler) holds it. */
    private static final long SIG_IGN = 1;

    /**
     * If SIGINT is ignored (inherited so), sets it to its default, so that the JVM installs our
     * handler: HotSpot leaves an ignored SIGINT, SIGTERM or SIGHUP alone. The handler is the
     * first field of {@code struct sigaction} on Linux and macOS.
     */
    private static void unignoreSigint(PrintStream err) {
        int sigint = Signal.INT.number();
        try (Arena arena = Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            MethodHandle sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MemorySegment old = arena.allocate(256, 8); // larger than struct sigaction anywhere
            if ((int) sigaction.invokeExact(sigint, MemorySegment.NULL, old) != 0) return;
            if (old.get(ValueLayout.JAVA_LONG, 0) != SIG_IGN) return;
            MethodHandle signal = linker.downcallHandle(linker.defaultLookup().find("signal").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MemorySegment previous = (MemorySegment) signal.invokeExact(sigint, MemorySegment.NULL); // SIG_DFL
            if (previous.address() == -1) {
                err.println("procwarden: warning: SIGINT was ignored and cannot be reset: it will not be forwarded");
                err.flush();
            }
        } catch (Throwable t) {
            err.println("procwarden: warning: cannot check whether SIGINT is ignored: " + t);
            err.flush();
        }
    }
}
