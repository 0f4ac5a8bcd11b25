package io.procwarden.cli;

import io.procwarden.ChildProcess;
import io.procwarden.Signal;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CMD as the foreground job of procwarden's terminal ({@link io.procwarden.ProcessSpec#foregroundJob()}),
 * the part a shell does when its job stops: Ctrl-Z (or SIGTTIN, SIGSTOP) stops CMD's group, and
 * procwarden then takes the terminal back, puts back its own settings and stops itself, so that
 * the shell that started it sees the job stopped and has the terminal. When the shell continues
 * procwarden ({@code fg}), CMD gets the terminal back with its settings, then SIGCONT; after
 * {@code bg}, only SIGCONT (and a stop then, by SIGTTIN at CMD's read, leaves the terminal to
 * whoever has it). The library gives the terminal back at CMD's exit.
 *
 * <p>Stops are seen by one platform thread in {@code waitid(P_PID, CMD, WSTOPPED | WEXITED | WNOWAIT)}:
 * it returns at every stop (which it then consumes with {@code WSTOPPED | WNOHANG}) and at the
 * exit, which it leaves for the monitor to reap; so the thread is out of native code by the time
 * procwarden exits. Linux only (the values and {@code siginfo_t} offsets are Linux's; the library
 * cannot start a foreground job on macOS). SIGTTOU is ignored in procwarden, so that it may set
 * the terminal's foreground group while in the background.
 */
final class JobControl {
    private static final int P_PID = 1;
    private static final int WNOHANG = 1;
    private static final int WSTOPPED = 2;
    private static final int WEXITED = 4;
    private static final int WNOWAIT = 0x01000000;
    private static final int CLD_STOPPED = 5;
    private static final int SIGTSTP = 20;
    private static final int EINTR = 4;
    private static final int ECHILD = 10;
    private static final long SIGINFO_BYTES = 128;
    private static final long SI_CODE = 8;
    private static final long SI_PID = 16;

    /** Linked on first use: a run whose stdin is no terminal never pays for the downcall stubs (start-up). */
    private static final class H {
        private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        private static final VarHandle ERRNO_VALUE = Linker.Option.captureStateLayout()
                .varHandle(MemoryLayout.PathElement.groupElement("errno"));
        private static final MethodHandle WAITID = handle("waitid", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), ERRNO);
        private static final MethodHandle TCSETPGRP = handle("tcsetpgrp", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ERRNO);
        private static final MethodHandle TCGETPGRP = handle("tcgetpgrp", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT));
        private static final MethodHandle GETPGRP = handle("getpgrp", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        private static final MethodHandle GETPID = handle("getpid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        private static final MethodHandle KILL = handle("kill", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private final PrintStream err;
    private final int ourGroup;
    private TerminalMode ours; // procwarden's settings while CMD has the terminal; only the watcher after watch()
    private ChildProcess child;

    private JobControl(PrintStream err) {
        this.err = err;
        this.ourGroup = processGroup();
        this.ours = TerminalMode.save(0);
    }

    private static MethodHandle handle(String name, FunctionDescriptor d, Linker.Option... options) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(
                () -> new IllegalStateException("no " + name + " in the C library")), d, options);
    }

    /**
     * True if procwarden can start CMD as its terminal's foreground job: Linux, stdin a terminal
     * that is procwarden's controlling one, and procwarden its foreground job (not run with {@code &}).
     */
    static boolean possible() {
        if (!System.getProperty("os.name", "").equals("Linux")) return false;
        try {
            // What fd 0 is, without a downcall: most runs (CI, pipes) stop here.
            String stdin = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
            if (!stdin.startsWith("/dev/pts/") && !stdin.startsWith("/dev/tty") && !stdin.equals("/dev/console")) {
                return false;
            }
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
        if (!TerminalMode.isTerminal(0)) return false;
        try {
            return (int) H.TCGETPGRP.invokeExact(0) == processGroup();
        } catch (Throwable t) {
            throw new IllegalStateException("tcgetpgrp(0)", t);
        }
    }

    /**
     * Before the spawn: procwarden's terminal settings saved, SIGTTOU ignored (procwarden sets the
     * foreground group from the background; CMD starts with every signal at its default).
     */
    static JobControl prepare(PrintStream err) {
        JobControl j = new JobControl(err);
        sun.misc.Signal.handle(new sun.misc.Signal("TTOU"), sun.misc.SignalHandler.SIG_IGN);
        return j;
    }

    /** Watches CMD's stops until it exits, on a daemon thread of its own. */
    void watch(ChildProcess cmd) {
        this.child = cmd;
        Thread.ofPlatform().daemon().name("procwarden-job-control").start(this::run);
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIGINFO_BYTES, 8);
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            while (true) {
                int code = waitid(info, state, WSTOPPED | WEXITED | WNOWAIT);
                if (code != CLD_STOPPED) return; // exited (the monitor reaps it), or already reaped
                waitid(info, state, WSTOPPED | WNOHANG); // consume this stop, or it is reported again
                stopped();
            }
        } catch (Throwable t) {
            err.println("procwarden: job control for pid " + child.pid() + " ended: " + t);
        }
    }

    /** si_code of the event, or 0 when there is none (ECHILD: reaped, or WNOHANG and nothing). */
    private int waitid(MemorySegment info, MemorySegment state, int options) throws Throwable {
        while (true) {
            info.fill((byte) 0);
            if ((int) H.WAITID.invokeExact(state, P_PID, (int) child.pid(), info, options) == 0) {
                return info.get(ValueLayout.JAVA_INT, SI_PID) == 0 ? 0 : info.get(ValueLayout.JAVA_INT, SI_CODE);
            }
            int errno = (int) H.ERRNO_VALUE.get(state, 0L);
            if (errno == ECHILD) return 0;
            if (errno != EINTR) throw new IllegalStateException("waitid(P_PID, " + child.pid() + ") failed: errno " + errno);
        }
    }

    /**
     * CMD stopped: the terminal and our settings back to us, and we stop; continued in the
     * foreground, the terminal and its settings back to CMD.
     */
    private void stopped() throws Throwable {
        TerminalMode cmdSettings = null;
        if ((int) H.TCGETPGRP.invokeExact(0) == (int) child.pid()) { // else we were in the background (bg): not ours to take
            cmdSettings = TerminalMode.save(0);
            setForeground(ourGroup);
            ours.close();
        }
        int sent = (int) H.KILL.invokeExact((int) H.GETPID.invokeExact(), SIGTSTP); // returns once we are continued
        if (sent != 0) throw new IllegalStateException("kill(getpid(), SIGTSTP) failed");
        if ((int) H.TCGETPGRP.invokeExact(0) == ourGroup) { // fg, not bg
            ours = TerminalMode.save(0); // as the shell gave it back
            if (cmdSettings != null) cmdSettings.close();
            setForeground((int) child.pid());
        }
        if (child.treeMechanism().isPresent()) child.signalTree(Signal.CONT);
        else child.signalGroup(Signal.CONT);
    }

    private void setForeground(int group) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            while ((int) H.TCSETPGRP.invokeExact(state, 0, group) != 0) {
                int errno = (int) H.ERRNO_VALUE.get(state, 0L);
                if (errno != EINTR) throw new IllegalStateException("tcsetpgrp(0, " + group + ") failed: errno " + errno);
            }
        }
    }

    private static int processGroup() {
        try {
            return (int) H.GETPGRP.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("getpgrp()", t);
        }
    }
}
