package io.procwarden.internal.jail;

import io.procwarden.Signal;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Resource;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.jail.cgroup.Cgroup;
import io.procwarden.internal.jail.cgroup.Cgroups;
import io.procwarden.internal.monitor.ExitListener;
import io.procwarden.internal.monitor.MonitorLoop;
import io.procwarden.internal.monitor.Registration;
import io.procwarden.internal.spawn.PosixSpawner;
import io.procwarden.internal.spawn.SpawnFailure;
import io.procwarden.internal.tree.Tree;
import io.procwarden.internal.tree.TreeLadder;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a child under a {@link JailPlan}: the entry point for {@code ProcessSpec.jail(JailSpec)}, whose
 * spec resolves into the plan.
 *
 * <p>The parked-child handshake, in order:
 * <ol>
 *   <li>check the host ({@link JailHost}: tools, privileges), create the cgroup with its limits
 *       and, with tree containment, the tree ({@link TreeLadder}: a cgroup v2 leaf, a v1 cgroup
 *       with the freezer, or this JVM as subreaper);
 *   <li>posix_spawn the {@code /bin/sh} stub with the hardened spawn (only chosen descriptors, empty
 *       signal mask, default dispositions; see {@link ExecChain} for its script and descriptors),
 *       from the {@link SpawnThread} when a parent-death signal is asked for;
 *   <li>register it with the monitor loop at once (it reaps the stub whatever happens next);
 *   <li>wait for the stub's "ready" byte, then, while the child cannot be reaped
 *       ({@link Registration#whileUnreaped}, so a reused pid is never touched), set its rlimits
 *       with prlimit(2) and move it into the cgroup (and the tree);
 *   <li>write the pid file (pid and start time, which the exec chain keeps);
 *   <li>write the go byte: the stub execs setpriv / bwrap / the target, all inside the limits.
 * </ol>
 * Any failure after the spawn SIGKILLs the stub (it never got "go"), waits until the loop has
 * reaped it and its cleanup has removed the cgroup, then throws: no descriptor, pipe, zombie,
 * cgroup directory or pid file is left. The caller's {@code Request} descriptors are only
 * borrowed.
 *
 * <p>Exec failures of the target happen after "go", in setpriv, bwrap or the stub, and show as
 * exit code 126 (not executable) or 127 (not found) with the tool's message on the child's
 * stderr; without bwrap the target is checked for existence and execute permission beforehand.
 */
public final class JailLauncher {
    private JailLauncher() {}

    /** Steps after which the test hook runs. */
    enum Step { SPAWNED, READY, LIMITED, PID_FILE }

    /**
     * The one test hook: told of each step with the child being started (registered since
     * {@link Step#SPAWNED}), so a test can inspect its cgroup; throwing exercises the cleanup paths.
     */
    @FunctionalInterface
    interface Hook {
        void at(Step step, JailedChild child) throws IOException;
    }

    /** Does nothing; tests replace it and put it back. */
    static final Hook NO_HOOK = (step, child) -> { };

    static volatile Hook hook = NO_HOOK;

    private static final int SIGKILL = Signal.KILL.number();

    /** Our own stdin, for a target that inherits it (never closed: the Fd only names number 0). */
    private static final Fd OUR_STDIN = Fd.adopt(0, "this process's stdin");

    private static final long ABANDON_WAIT_SECONDS = 30;

    /**
     * Spawns {@code request} jailed by {@code plan}.
     *
     * @param request what to run; its path is the target, its descriptors are the target's (not
     *     closed here), its environment is filtered by the plan's allowlist
     * @param loop the monitor loop that reaps the child
     * @param listener told of the exit after cleanup (may be null)
     * @throws io.procwarden.JailUnavailableException the host cannot honour the plan
     * @throws SpawnFailure posix_spawn of the stub failed
     * @throws IOException any other step failed (message names the step, path or errno)
     */
    public static JailedChild spawn(JailPlan plan, PosixSpawner.Request request, MonitorLoop loop, ExitListener listener)
            throws IOException, SpawnFailure {
        JailHost.Tools tools = JailHost.resolve(plan);
        if (plan.sandbox() == null) checkTarget(request.path());
        Map<String, String> ours = System.getenv();
        List<String> env = ExecChain.environment(request.env(), plan.environmentAllowlist(), ours);

        int highest = 2;
        for (int n : request.childFds().keySet()) highest = Math.max(highest, n);
        int savedStdin = highest + 1;
        int ready = highest + 2;

        // With tree containment the ladder places the tree (and the limits beside or in it).
        TreeLadder.Placement placement = plan.containTree() ? TreeLadder.place(plan.cgroup()) : null;
        Tree tree = placement != null ? placement.tree() : null;
        Cgroup cgroup = placement != null ? placement.limits()
                : plan.cgroup() != null ? Cgroups.create(plan.cgroup()) : null;
        boolean separateLimits = placement != null && placement.separateLimits();
        List<Fd> ownFds = new ArrayList<>();
        JailedChild child = null;
        int unregisteredPid = 0;
        try {
            Fd[] go = pipe(ownFds);
            Fd[] readyPipe = pipe(ownFds);
            Map<Integer, Fd> fds = new HashMap<>(request.childFds());
            // A terminal's slave is opened by the stub's spawn (as its controlling terminal) at
            // the saved-stdin number, which the stub moves to 0 after go; else the target's stdin waits there.
            PosixSpawner.Terminal terminal = request.terminal() == null ? null
                    : new PosixSpawner.Terminal(request.terminal().slavePath(), request.terminal().stderrToo(), savedStdin);
            Fd stdin = terminal != null ? null : request.childFds().get(0);
            if (stdin == null && terminal == null) stdin = dupOurStdin(ownFds);
            if (stdin != null) fds.put(savedStdin, stdin);
            fds.put(0, go[0]);
            fds.put(ready, readyPipe[1]);
            String script = ExecChain.stubScript(stdin != null || terminal != null ? savedStdin : -1, ready,
                    plan.rlimit(Resource.RLIMIT_NOFILE), !ExecChain.hasPwd(env, ours), plan.umask());
            List<String> targetArgs = request.argv().subList(1, request.argv().size());
            List<String> argv = ExecChain.stubArgv(script, plan, tools, request.path(), targetArgs);
            PosixSpawner.Request stub = new PosixSpawner.Request(JailHost.SHELL.toString(), argv, env, request.cwd(), fds,
                    request.newSession(), request.newProcessGroup(), terminal, request.foregroundTerminal());

            PosixSpawner.Started started;
            try {
                started = plan.pinnedToSpawnThread() ? SpawnThread.spawn(stub) : PosixSpawner.spawn(stub);
            } catch (SpawnFailure f) {
                unregisteredPid = f.startedPid();
                throw f;
            }
            // Our copies of the child's ends must go now: EOF on "ready" must mean the stub died.
            go[0].close();
            readyPipe[1].close();

            child = new JailedChild(started.pid(), cgroup, tree, separateLimits, plan.pidFile(),
                    ExecChain.describe(tools, request.path()), listener);
            unregisteredPid = started.pid();
            child.registered(loop.registerChild(started.pid(), started.pidfd(), child.listener()));
            unregisteredPid = 0;
            hook.at(Step.SPAWNED, child);

            awaitReady(readyPipe[0], started.pid());
            hook.at(Step.READY, child);
            applyWhileUnreaped(child, plan, tree == null || separateLimits ? cgroup : null, tree);
            hook.at(Step.LIMITED, child);
            if (plan.pidFile() != null) child.pidFileWritten(PidFile.write(plan.pidFile(), started.pid()));
            hook.at(Step.PID_FILE, child);
            sendGo(go[1], started.pid());
            return child;
        } catch (IOException | SpawnFailure | RuntimeException | Error e) {
            abandon(e, child, unregisteredPid, cgroup, tree, separateLimits);
            throw e;
        } finally {
            for (Fd fd : ownFds) fd.close();
        }
    }

    /**
     * What the kernel's execve would refuse, checked before the stub is started, so that it fails
     * the spawn (with the plain spawn's diagnosis) instead of the stub's {@code exec}: ENOENT (no
     * file, or a {@code #!} interpreter that is missing), EACCES (not a regular executable file),
     * ENOEXEC (neither ELF nor {@code #!}, with no binfmt_misc handler registered). The shell and
     * {@code execvp} would run such a file as a shell script, which the kernel does not.
     */
    static void checkTarget(String path) throws SyscallException {
        Path p = Path.of(path);
        String call = "jailed target execve(\"" + path + "\")";
        if (!Files.exists(p)) throw Errno.exception(call, Errno.ENOENT);
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) throw Errno.exception(call, Errno.EACCES);
        byte[] head;
        try (java.io.InputStream in = Files.newInputStream(p)) {
            head = in.readNBytes(256);
        } catch (IOException e) {
            return; // unreadable but executable: the exec itself decides
        }
        if (head.length >= 2 && head[0] == '#' && head[1] == '!') {
            String line = new String(head, 2, head.length - 2, java.nio.charset.StandardCharsets.UTF_8).split("\n", 2)[0].strip();
            String interpreter = line.split("[ \t]+", 2)[0];
            if (!interpreter.isEmpty() && !Files.isExecutable(Path.of(interpreter))) throw Errno.exception(call, Errno.ENOENT);
            return;
        }
        boolean elf = head.length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
        if (!elf && !binfmtMiscHandlers()) throw Errno.exception(call, Errno.ENOEXEC);
    }

    /** Whether binfmt_misc has handlers registered (then other formats may run; let the exec decide). */
    private static boolean binfmtMiscHandlers() {
        try (var entries = Files.list(Path.of("/proc/sys/fs/binfmt_misc"))) {
            return entries.anyMatch(e -> !e.getFileName().toString().equals("register")
                    && !e.getFileName().toString().equals("status"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static Fd[] pipe(List<Fd> owned) throws SyscallException {
        Fd[] p = Unistd.pipe();
        owned.add(p[0]);
        owned.add(p[1]);
        return p;
    }

    /** A close-on-exec copy of our fd 0, or null when it is closed (then the target's is too). */
    private static Fd dupOurStdin(List<Fd> owned) throws SyscallException {
        try {
            Fd d = Unistd.dupCloexecAbove(OUR_STDIN, 3);
            owned.add(d);
            return d;
        } catch (SyscallException e) {
            if (e.errno() == Errno.EBADF) return null;
            throw e;
        }
    }

    private static void awaitReady(Fd readEnd, int pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(1);
            if (Unistd.read(readEnd, b, 1) != 1) {
                throw new IOException("jail stub (pid " + pid + ") exited before it was ready; see the child's stderr");
            }
        }
    }

    /** rlimits and cgroup placement, under the registration's lock so the pid cannot be reaped (and reused) meanwhile. */
    private static void applyWhileUnreaped(JailedChild child, JailPlan plan, Cgroup cgroup, Tree tree) throws IOException {
        IOException[] failure = new IOException[1];
        boolean alive = child.registration().whileUnreaped(pid -> {
            try {
                for (JailPlan.Rlimit r : plan.rlimits()) {
                    long soft = r.soft();
                    long hard = r.hard();
                    if (r.resource() == Resource.RLIMIT_NOFILE) {
                        // the stub lowers a NOFILE below the floor itself (see ExecChain)
                        soft = ExecChain.parentNofile(soft);
                        hard = ExecChain.parentNofile(hard);
                    }
                    Resource.prlimit(pid, r.resource(), soft, hard);
                }
                if (tree != null) tree.attach(pid); // first: a subreaper JVM must know the child before any cgroup holds it
                if (cgroup != null) cgroup.attach(pid);
            } catch (IOException e) {
                failure[0] = e;
            }
            return true;
        });
        if (failure[0] != null) throw failure[0];
        if (!alive) throw new IOException("jail stub (pid " + child.pid() + ") ended before its limits were set");
    }

    private static void sendGo(Fd writeEnd, int pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(1);
            b.set(ValueLayout.JAVA_BYTE, 0, (byte) '\n');
            if (Unistd.write(writeEnd, b, 1) != 1) throw new IOException("jail stub (pid " + pid + "): go byte not written");
        } catch (SyscallException e) {
            throw new IOException("jail stub (pid " + pid + ") could not be told to go: " + e.getMessage(), e);
        }
    }

    /**
     * Cleans up after a failure: kill the stub that never got "go", let the loop reap it (its
     * listener then removes the cgroup and pid file), or do it all here if it was never
     * registered. Failures of the cleanup are added to {@code primary}.
     */
    private static void abandon(Throwable primary, JailedChild child, int unregisteredPid, Cgroup cgroup, Tree tree,
            boolean separateLimits) {
        try {
            if (child != null && child.registration() != null) {
                child.registration().signal(SIGKILL);
                child.onExit().get(ABANDON_WAIT_SECONDS, TimeUnit.SECONDS);
                return; // the child's listener removed the cgroup
            }
            if (unregisteredPid > 0) {
                Signals.kill(unregisteredPid, SIGKILL);
                Wait.wait4(unregisteredPid, 0);
            }
            if (tree != null) tree.destroy();
            if (cgroup != null && (tree == null || separateLimits)) cgroup.destroy();
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            primary.addSuppressed(e);
        }
    }
}
