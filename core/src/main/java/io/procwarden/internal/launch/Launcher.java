package io.procwarden.internal.launch;

import io.procwarden.ExitStatus;
import io.procwarden.JailUnavailableException;
import io.procwarden.Redirect;
import io.procwarden.ResourceUsage;
import io.procwarden.Signal;
import io.procwarden.SpawnException;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.io.ChildPipes;
import io.procwarden.internal.io.PtyMaster;
import io.procwarden.internal.jail.JailLauncher;
import io.procwarden.internal.jail.JailedChild;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.internal.monitor.Registration;
import io.procwarden.internal.spawn.ExecDiagnosis;
import io.procwarden.internal.spawn.PosixSpawner;
import io.procwarden.internal.spawn.ProgramLookup;
import io.procwarden.internal.spawn.SpawnFailure;
import io.procwarden.internal.spawn.StdioSetup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link SpawnPlan} into a running child registered with a monitor loop: program lookup,
 * stdio, preserved descriptors, posix_spawn (or the jail's parked stub), registration.
 *
 * <p>Every step owns what it opened until the next step takes it, and every failure releases
 * all of it: the child-side descriptors are closed once the child has its copies (or on
 * failure), our pipe ends on failure only, and a child that was already started when a later
 * step failed is killed and reaped here, so a {@link SpawnException} leaves nothing behind.
 */
public final class Launcher {
    private Launcher() {}

    private static final int SIGKILL = Signal.KILL.number();

    static {
        // The clean-up after a failed spawn (killAndReap) runs when descriptors may be exhausted
        // (EMFILE), and loading a class from a directory on the class path needs a descriptor
        // (from a jar it does not): a NoClassDefFoundError there would leave the child running
        // and then a zombie. So link its native calls now, with harmless calls on ourselves:
        // kill(self, 0) succeeds; wait4(self) fails with ECHILD, building its exception too.
        int self = Unistd.getpid();
        try {
            Signals.kill(self, 0);
            Wait.wait4(self, Wait.WNOHANG);
        } catch (SyscallException expected) {
            // ECHILD: we are not our own child
        }
    }

    /**
     * Starts the child {@code plan} describes and registers it with {@code loop}, which tells
     * {@code listener} of its exit.
     *
     * @throws SpawnException naming the command, the directory and the errno; nothing is left behind
     * @throws IllegalStateException if the loop is closed (then no child was started, or it was
     *     killed and reaped)
     */
    public static Launched launch(SpawnPlan plan, MonitorLoop loop, ExitListener listener) throws SpawnException {
        loop.ensureOpen(); // no child started (and killed) for a monitor that cannot take it
        Path dir = plan.directory();
        String cwd = dir == null ? null : dir.toString();
        String program;
        try {
            program = ProgramLookup.resolve(plan.command(), System.getenv("PATH"), dir);
        } catch (SpawnFailure f) {
            throw failure(plan, f.errno(), f.step(), null);
        }

        PtyPlan ptyPlan = plan.pty();
        PtyMaster pty = ptyPlan == null ? null : openPty(plan, ptyPlan);
        PosixSpawner.Terminal terminal = pty == null ? null
                : new PosixSpawner.Terminal(pty.slavePath(), ptyPlan.stderrToo());
        StdioSetup stdio;
        try {
            stdio = pty == null ? StdioSetup.open(plan.stdin(), plan.stdout(), plan.stderr())
                    : StdioSetup.open(Redirect.INHERIT, Redirect.INHERIT,
                            ptyPlan.stderrToo() ? Redirect.INHERIT : plan.stderr());
        } catch (SpawnFailure f) {
            if (pty != null) pty.close();
            throw failure(plan, f.errno(), f.step(), f);
        }
        ChildPipes pipes;
        try {
            Fd[] ours = stdio.takeOurEnds();
            pipes = pty == null ? ChildPipes.adopt(loop.pipes(), ours[0], ours[1], ours[2])
                    : pty.adoptInto(loop.pipes(), ours[2]);
        } catch (SyscallException e) {
            stdio.close();
            if (pty != null) pty.close();
            throw failure(plan, e.errno(), "cannot put our pipe ends on the monitor loop: " + e.getMessage(), e);
        }
        List<Fd> preserved = new ArrayList<>();
        ForegroundJob job = null;
        boolean ok = false;
        try {
            if (plan.foregroundJob()) job = foregroundJob(plan);
            ExitListener exitToPipes = drainFirst(pipes, pty, job, listener);
            Map<Integer, Fd> childFds = new HashMap<>(stdio.childFds());
            for (Map.Entry<Integer, Integer> e : plan.preservedFds().entrySet()) {
                preserved.add(borrow(plan, e.getValue(), e.getKey()));
                childFds.put(e.getKey(), preserved.getLast());
            }
            PosixSpawner.Request request = new PosixSpawner.Request(program, plan.argv(), plan.environment(), cwd,
                    childFds, plan.newSession() || pty != null, plan.newProcessGroup() && !plan.newSession() && pty == null,
                    terminal, job == null ? null : job.terminal());
            Launched launched = plan.jail() != null
                    ? launchJailed(plan, request, loop, exitToPipes, pipes)
                    : launchPlain(plan, request, loop, exitToPipes, pipes);
            pipes.label("pid " + launched.pid());
            ok = true;
            return pty == null ? launched : launched.withPty(pty);
        } finally {
            // The child has its copies now (or there is no child): ours go, on every path.
            stdio.close();
            for (Fd fd : preserved) fd.close();
            if (!ok) {
                pipes.close();
                if (pty != null) pty.close();
                if (job != null) job.close(); // the failed child may have had the terminal
            }
        }
    }

    private static PtyMaster openPty(SpawnPlan plan, PtyPlan p) throws SpawnException {
        try {
            return PtyMaster.open(p.rows(), p.columns());
        } catch (SyscallException e) {
            throw failure(plan, e.errno(), "cannot open a pseudo-terminal: " + e.getMessage(), e);
        }
    }

    private static Launched launchPlain(SpawnPlan plan, PosixSpawner.Request request, MonitorLoop loop,
            ExitListener listener, ChildPipes pipes) throws SpawnException {
        PosixSpawner.Started started;
        try {
            started = PosixSpawner.spawn(request);
        } catch (SpawnFailure f) {
            if (f.startedPid() > 0) killAndReap(f.startedPid());
            String detail = f.step().equals("posix_spawn")
                    ? ExecDiagnosis.explain(f.errno(), request.path(), plan.directory(), request.argv(), request.env())
                    : f.step();
            throw failure(plan, f.errno(), detail, f);
        }
        Registration registration;
        try {
            registration = loop.registerChild(started.pid(), started.pidfd(), listener);
        } catch (IllegalStateException closed) {
            // Closed since the check in launch(): as documented, the monitor's exception, and no child.
            killAndReap(started.pid());
            throw closed;
        } catch (SyscallException | RuntimeException e) {
            // registerChild has closed the pidfd; nobody reaps the child but us now.
            killAndReap(started.pid());
            int errno = e instanceof SyscallException s ? s.errno() : 0;
            throw failure(plan, errno, "started as pid " + started.pid() + " but could not be monitored (killed): "
                    + e.getMessage(), e);
        }
        return new Launched(started.pid(), registration, pipes, null);
    }

    /**
     * The jailed path: {@link JailLauncher} parks a stub, applies limits and cgroup, then execs the
     * target through setpriv/bwrap; it kills and reaps the stub itself on every failure. The
     * jailed child is its own containment (its cgroup, when the plan has one).
     */
    private static Launched launchJailed(SpawnPlan plan, PosixSpawner.Request request, MonitorLoop loop,
            ExitListener listener, ChildPipes pipes) throws SpawnException {
        JailedChild jailed;
        try {
            jailed = JailLauncher.spawn(plan.jail(), request, loop, listener);
        } catch (JailUnavailableException e) {
            throw failure(plan, 0, "jail cannot be honoured here: missing " + e.capability() + ": " + e.getMessage(), e);
        } catch (SpawnFailure f) {
            throw failure(plan, f.errno(), "jail stub: " + f.step(), f);
        } catch (SyscallException e) {
            // The target checked before the stub starts: the plain spawn's diagnosis of that errno.
            String why = e.getMessage().startsWith("jailed target execve")
                    ? ExecDiagnosis.explain(e.errno(), request.path(), plan.directory(), request.argv(), request.env())
                    : null;
            throw failure(plan, e.errno(), (why != null ? why + "; " : "") + "jail: " + e.getMessage(), e);
        } catch (IOException e) {
            throw failure(plan, 0, "jail: " + e.getMessage(), e);
        }
        return new Launched(jailed.pid(), jailed.registration(), pipes, jailed);
    }

    private static ForegroundJob foregroundJob(SpawnPlan plan) throws SpawnException {
        try {
            return ForegroundJob.open();
        } catch (SyscallException e) {
            throw failure(plan, e.errno(), "cannot start it as the terminal's foreground job: " + e.getMessage(), e);
        }
    }

    /**
     * The exit gives the terminal back first (a foreground job's), then reaches the pipes (the
     * drain starts), then the caller's listener: whoever waits for the exit has the terminal.
     */
    private static ExitListener drainFirst(ChildPipes pipes, PtyMaster pty, ForegroundJob job, ExitListener listener) {
        return new ExitListener() {
            @Override
            public void onExit(ExitStatus status, ResourceUsage usage) {
                if (job != null) job.giveBack();
                pipes.exited();
                if (pty != null) pty.exited();
                listener.onExit(status, usage);
            }

            @Override
            public void onFailure(Throwable error) {
                listener.onFailure(error); // the child may still run (handed to another monitor)
            }
        };
    }

    private static Fd borrow(SpawnPlan plan, int parentFd, int childFd) throws SpawnException {
        try {
            return Unistd.dupBorrowed(parentFd, 3, "fd " + parentFd + " (preserved as child fd " + childFd + ")");
        } catch (SyscallException e) {
            String detail = e.errno() == Errno.EBADF
                    ? "preserved fd " + parentFd + " (for child fd " + childFd + ") is not open in this process"
                    : "cannot duplicate preserved fd " + parentFd + " (for child fd " + childFd + "): " + e.getMessage();
            throw failure(plan, e.errno(), detail, e);
        }
    }

    /**
     * Kills and reaps a child nobody else will reap. By pid: safe, because it is our unreaped
     * child (its pid cannot have been reused) and no monitor knows it.
     */
    private static void killAndReap(int pid) {
        try {
            Signals.kill(pid, SIGKILL);
            Wait.wait4(pid, 0);
        } catch (SyscallException e) {
            System.getLogger(Launcher.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot kill and reap child " + pid + " after a failed spawn: " + e.getMessage());
        }
    }

    private static SpawnException failure(SpawnPlan plan, int errno, String detail, Throwable cause) {
        return new SpawnException(plan.command(), plan.directory(), errno, detail, cause);
    }
}
