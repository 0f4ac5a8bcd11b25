package io.procwarden;

import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.jail.JailLauncher;
import io.procwarden.internal.jail.JailedChild;
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
 * Turns a {@link ProcessSpec} into a running, monitored {@link ChildProcess}: program lookup,
 * stdio, preserved descriptors, posix_spawn, registration with the monitor.
 *
 * <p>Every step owns what it opened until the next step takes it, and every failure releases
 * all of it: the child-side descriptors are closed once the child has its copies (or on
 * failure), our pipe ends on failure only, and a child that was already started when a later
 * step failed is killed and reaped here, so a {@link SpawnException} leaves nothing behind.
 */
final class ProcessLauncher {
    private ProcessLauncher() {}

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

    static ChildProcess launch(ProcessSpec spec, ProcessMonitor monitor) throws SpawnException {
        monitor.loop().ensureOpen(); // no child started (and killed) for a monitor that cannot take it
        Path dir = spec.directory().orElse(null);
        String cwd = dir == null ? null : dir.toString();
        List<String> env = spec.environmentEntries();
        String program;
        try {
            program = ProgramLookup.resolve(spec.command(), System.getenv("PATH"), dir);
        } catch (SpawnFailure f) {
            throw failure(spec, f.errno(), f.step(), null);
        }
        List<String> argv = new ArrayList<>(spec.args().size() + 1);
        argv.add(spec.command());
        argv.addAll(spec.args());

        StdioSetup stdio;
        try {
            stdio = StdioSetup.open(spec.stdin(), spec.stdout(), spec.stderr());
        } catch (SpawnFailure f) {
            throw failure(spec, f.errno(), f.step(), f);
        }
        List<Fd> preserved = new ArrayList<>();
        boolean ok = false;
        try {
            Map<Integer, Fd> childFds = new HashMap<>(stdio.childFds());
            for (Map.Entry<Integer, Integer> e : spec.preservedFds().entrySet()) {
                preserved.add(borrow(spec, e.getValue(), e.getKey()));
                childFds.put(e.getKey(), preserved.getLast());
            }
            PosixSpawner.Request request = new PosixSpawner.Request(program, argv, env, cwd, childFds,
                    spec.isNewSession(), spec.isNewProcessGroup() && !spec.isNewSession());
            if (spec.jailSpec().isPresent()) {
                ChildProcess child = launchJailed(spec, spec.jailSpec().get(), monitor, request, stdio);
                ok = true;
                return child;
            }
            PosixSpawner.Started started;
            try {
                started = PosixSpawner.spawn(request);
            } catch (SpawnFailure f) {
                if (f.startedPid() > 0) killAndReap(f.startedPid());
                String detail = f.step().equals("posix_spawn")
                        ? ExecDiagnosis.explain(f.errno(), program, dir, argv, env)
                        : f.step();
                throw failure(spec, f.errno(), detail, f);
            }
            ChildProcess child = register(spec, monitor, started, stdio);
            ok = true;
            return child;
        } finally {
            // The child has its copies now (or there is no child): ours go, on every path.
            stdio.close();
            for (Fd fd : preserved) fd.close();
            if (!ok) stdio.closeStreams();
        }
    }

    /**
     * The jailed path: {@link JailLauncher} parks a stub, applies limits and cgroup, then execs the
     * target through setpriv/bwrap; it kills and reaps the stub itself on every failure.
     */
    private static ChildProcess launchJailed(ProcessSpec spec, JailSpec jail, ProcessMonitor monitor,
            PosixSpawner.Request request, StdioSetup stdio) throws SpawnException {
        ChildProcess.Exit exit = new ChildProcess.Exit();
        JailedChild jailed;
        try {
            jailed = JailLauncher.spawn(jail.toPlan(), request, monitor.loop(), exit);
        } catch (JailUnavailableException e) {
            throw failure(spec, 0, "jail cannot be honoured here: missing " + e.capability() + ": " + e.getMessage(), e);
        } catch (SpawnFailure f) {
            throw failure(spec, f.errno(), "jail stub: " + f.step(), f);
        } catch (SyscallException e) {
            throw failure(spec, e.errno(), "jail: " + e.getMessage(), e);
        } catch (IOException e) {
            throw failure(spec, 0, "jail: " + e.getMessage(), e);
        }
        return new ChildProcess(spec, monitor.loop(), jailed.registration(), exit, stdio.stdin(), stdio.stdout(),
                stdio.stderr());
    }

    private static Fd borrow(ProcessSpec spec, int parentFd, int childFd) throws SpawnException {
        try {
            return Unistd.dupBorrowed(parentFd, 3, "fd " + parentFd + " (preserved as child fd " + childFd + ")");
        } catch (SyscallException e) {
            String detail = e.errno() == Errno.EBADF
                    ? "preserved fd " + parentFd + " (for child fd " + childFd + ") is not open in this process"
                    : "cannot duplicate preserved fd " + parentFd + " (for child fd " + childFd + "): " + e.getMessage();
            throw failure(spec, e.errno(), detail, e);
        }
    }

    private static ChildProcess register(ProcessSpec spec, ProcessMonitor monitor, PosixSpawner.Started started,
            StdioSetup stdio) throws SpawnException {
        ChildProcess.Exit exit = new ChildProcess.Exit();
        Registration registration;
        try {
            registration = monitor.loop().registerChild(started.pid(), started.pidfd(), exit);
        } catch (IllegalStateException closed) {
            // Closed since the check in launch(): as documented, the monitor's exception, and no child.
            killAndReap(started.pid());
            throw closed;
        } catch (SyscallException | RuntimeException e) {
            // registerChild has closed the pidfd; nobody reaps the child but us now.
            killAndReap(started.pid());
            int errno = e instanceof SyscallException s ? s.errno() : 0;
            throw failure(spec, errno, "started as pid " + started.pid() + " but could not be monitored (killed): "
                    + e.getMessage(), e);
        }
        return new ChildProcess(spec, monitor.loop(), registration, exit, stdio.stdin(), stdio.stdout(),
                stdio.stderr());
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
            System.getLogger(ProcessLauncher.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot kill and reap child " + pid + " after a failed spawn: " + e.getMessage());
        }
    }

    private static SpawnException failure(ProcessSpec spec, int errno, String detail, Throwable cause) {
        return new SpawnException(spec.command(), spec.directory().orElse(null), errno, detail, cause);
    }
}
