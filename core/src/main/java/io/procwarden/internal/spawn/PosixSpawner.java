package io.procwarden.internal.spawn;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Native;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Spawn;
import io.procwarden.internal.ffi.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Starts a child with posix_spawn, with nothing inherited but what the request names.
 *
 * <p>In the child, in this order: the chosen descriptors are dup2'd to their numbers (0, 1, 2
 * and preserved ones); chdir; every other descriptor is closed, including unused numbers below
 * the highest target ({@link FdCloser}); the signal mask is emptied and every signal's
 * disposition, glibc's internal ones included, reset to default (HotSpot blocks and ignores some
 * signals and the child would inherit that); optionally a new session or process group; exec.
 * glibc reports the first failing step (a file action or the exec) as posix_spawn's return
 * value and reaps the failed child itself.
 *
 * <p>Right after a successful spawn the child's pidfd is opened: race-free, because nobody but
 * our monitor reaps our children, so the pid cannot have been reused yet.
 */
public final class PosixSpawner {
    private PosixSpawner() {}

    /**
     * What to start.
     *
     * @param path the executable's path (already resolved; not searched on PATH)
     * @param argv the arguments, argv[0] first
     * @param env "NAME=value" entries, or null to inherit this process's environment
     * @param cwd the working directory, or null for ours
     * @param childFds child descriptor number -> the parent descriptor it gets; 0, 1 or 2 absent
     *     means the child inherits ours
     * @param newSession setsid in the child
     * @param newProcessGroup setpgid(0, 0) in the child (ignored with newSession, which implies it)
     * @param terminal the pseudo-terminal slave the child opens as 0 and 1 (and 2), or null;
     *     needs newSession (the slave then becomes its controlling terminal)
     * @param foregroundTerminal a descriptor (in this process) of our controlling terminal, whose
     *     foreground group the child's new group becomes before exec, or null; needs
     *     newProcessGroup and not newSession (a new session has no terminal)
     */
    public record Request(String path, List<String> argv, List<String> env, String cwd, Map<Integer, Fd> childFds,
            boolean newSession, boolean newProcessGroup, Terminal terminal, Fd foregroundTerminal) {
        public Request {
            if (foregroundTerminal != null && (newSession || !newProcessGroup)) {
                throw new IllegalArgumentException("a foreground job needs a new process group in this session");
            }
            argv = List.copyOf(argv);
            env = env == null ? null : List.copyOf(env);
            childFds = Map.copyOf(childFds);
            if (terminal != null) {
                if (!newSession) throw new IllegalArgumentException("a terminal needs a new session");
                if (childFds.containsKey(terminal.fd()) || childFds.containsKey(1)
                        || (terminal.stderrToo() && childFds.containsKey(2))) {
                    throw new IllegalArgumentException("the terminal's descriptors are also given as fds");
                }
            }
        }

        /** Not a foreground job. */
        public Request(String path, List<String> argv, List<String> env, String cwd, Map<Integer, Fd> childFds,
                boolean newSession, boolean newProcessGroup, Terminal terminal) {
            this(path, argv, env, cwd, childFds, newSession, newProcessGroup, terminal, null);
        }

        /** Without a terminal. */
        public Request(String path, List<String> argv, List<String> env, String cwd, Map<Integer, Fd> childFds,
                boolean newSession, boolean newProcessGroup) {
            this(path, argv, env, cwd, childFds, newSession, newProcessGroup, null, null);
        }
    }

    /**
     * A pseudo-terminal slave for the child's standard streams.
     *
     * @param slavePath e.g. {@code /dev/pts/3}
     * @param stderrToo fd 2 is the terminal as well (else it is whatever childFds or inheritance gives)
     * @param fd where the slave is opened: 0, or (for the jail's stub, whose 0 is its go pipe) the
     *     number the stub moves to 0 before it execs; it is dup2'd to 1 (and 2) either way
     */
    public record Terminal(String slavePath, boolean stderrToo, int fd) {
        public Terminal {
            if (fd < 0 || fd == 1 || fd == 2) throw new IllegalArgumentException("terminal fd " + fd);
        }

        /** Opened as fd 0. */
        public Terminal(String slavePath, boolean stderrToo) {
            this(slavePath, stderrToo, 0);
        }
    }

    /** A started child: its pid and, where the kernel has them, its pidfd (owned by the caller). */
    public record Started(int pid, Fd pidfd) {}

    /**
     * Spawns the child.
     *
     * @throws SpawnFailure naming the step and errno (posix_spawn's return for exec failures:
     *     ENOENT, EACCES, ENOEXEC, E2BIG, ...)
     */
    public static Started spawn(Request req) throws SpawnFailure {
        int maxTarget = 2;
        for (int target : req.childFds().keySet()) {
            if (target < 0) throw new IllegalArgumentException("negative child fd: " + target);
            maxTarget = Math.max(maxTarget, target);
        }
        List<Fd> temporaries = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fa = arena.allocate(Spawn.FILE_ACTIONS_SIZE, 16);
            MemorySegment attr = arena.allocate(Spawn.ATTR_SIZE, 16);
            check(Spawn.fileActionsInit(fa), "posix_spawn_file_actions_init");
            try {
                check(Spawn.attrInit(attr), "posix_spawnattr_init");
                try {
                    short flags = addFileActions(arena, fa, req, maxTarget, temporaries);
                    flags |= Spawn.POSIX_SPAWN_SETSIGMASK | Spawn.POSIX_SPAWN_SETSIGDEF;
                    check(Spawn.attrSetSigmask(attr, Spawn.emptySigset(arena)), "posix_spawnattr_setsigmask");
                    check(Spawn.attrSetSigdefault(attr, Spawn.everySignalSet(arena)), "posix_spawnattr_setsigdefault");
                    if (req.newSession()) {
                        flags |= Spawn.POSIX_SPAWN_SETSID;
                    } else if (req.newProcessGroup()) {
                        flags |= Spawn.POSIX_SPAWN_SETPGROUP;
                        check(Spawn.attrSetPgroup(attr, 0), "posix_spawnattr_setpgroup");
                    }
                    check(Spawn.attrSetFlags(attr, flags), "posix_spawnattr_setflags");
                    return launch(arena, fa, attr, req);
                } finally {
                    Spawn.attrDestroy(attr);
                }
            } finally {
                Spawn.fileActionsDestroy(fa);
            }
        } finally {
            for (Fd t : temporaries) t.close();
        }
    }

    private static short addFileActions(Arena arena, MemorySegment fa, Request req, int maxTarget, List<Fd> temporaries)
            throws SpawnFailure {
        if (req.foregroundTerminal() != null) addForeground(fa, req.foregroundTerminal());
        // A source whose number is at or below the highest target could be overwritten by an
        // earlier dup2 (or be its own target, where dup2 would leave FD_CLOEXEC set): give it a
        // temporary close-on-exec number above every target first.
        Map<Integer, Integer> sources = new TreeMap<>();
        for (Map.Entry<Integer, Fd> e : req.childFds().entrySet()) {
            Fd src = e.getValue();
            int n = src.number();
            if (n <= maxTarget) {
                Fd high = dupAbove(src, maxTarget);
                temporaries.add(high);
                n = high.number();
            }
            sources.put(e.getKey(), n);
        }
        for (Map.Entry<Integer, Integer> e : sources.entrySet()) {
            check(Spawn.addDup2(fa, e.getValue(), e.getKey()), "posix_spawn_file_actions_adddup2("
                    + e.getValue() + ", " + e.getKey() + ")");
        }
        Set<Integer> targets = new TreeSet<>(req.childFds().keySet());
        if (req.terminal() != null) addTerminal(arena, fa, req.terminal(), targets);
        if (req.cwd() != null) {
            if (!Spawn.hasAddChdir()) {
                throw new SpawnFailure("this C library has no posix_spawn_file_actions_addchdir_np (glibc < 2.29)"
                        + "; cannot set the working directory", Errno.ENOSYS);
            }
            check(Spawn.addChdir(fa, Native.cString(arena, req.cwd())), "posix_spawn_file_actions_addchdir_np");
        }
        List<Integer> keep = new ArrayList<>(List.of(0, 1, 2));
        keep.removeAll(targets);
        return FdCloser.addCloseActions(fa, targets, keep);
    }

    /**
     * The slave opened on fd 0 (or the terminal's fd) without O_NOCTTY, then dup2'd to 1 (and 2). glibc applies
     * POSIX_SPAWN_SETSID before the file actions, so the child is a session leader without a
     * terminal when it opens the slave, and the slave becomes its controlling terminal, with the
     * child's group in the foreground. (macOS orders them differently; see docs/pty.md.)
     */
    private static void addTerminal(Arena arena, MemorySegment fa, Terminal t, Set<Integer> targets)
            throws SpawnFailure {
        int fd = t.fd();
        check(Spawn.addOpen(fa, fd, Native.cString(arena, t.slavePath()), Unistd.O_RDWR, 0),
                "posix_spawn_file_actions_addopen(" + fd + ", " + t.slavePath() + ")");
        check(Spawn.addDup2(fa, fd, 1), "posix_spawn_file_actions_adddup2(" + fd + ", 1)");
        targets.add(fd);
        targets.add(1);
        if (t.stderrToo()) {
            check(Spawn.addDup2(fa, fd, 2), "posix_spawn_file_actions_adddup2(" + fd + ", 2)");
            targets.add(2);
        }
    }

    /**
     * First of all file actions, while the descriptor still has its number in the child (a dup2
     * could overwrite it): tcsetpgrp to the child's group. glibc applies POSIX_SPAWN_SETPGROUP
     * before the file actions and runs them with every signal blocked, so the child, not yet in
     * the foreground, is not stopped by SIGTTOU; it is the terminal's foreground job before its
     * first instruction and can read the terminal at once.
     */
    private static void addForeground(MemorySegment fa, Fd tty) throws SpawnFailure {
        if (!Spawn.hasAddTcsetpgrp()) {
            throw new SpawnFailure("this C library has no posix_spawn_file_actions_addtcsetpgrp_np (glibc < 2.35, macOS)"
                    + "; cannot start a foreground job", Errno.ENOSYS);
        }
        check(Spawn.addTcsetpgrp(fa, tty.number()), "posix_spawn_file_actions_addtcsetpgrp_np(" + tty + ")");
    }

    private static Fd dupAbove(Fd fd, int above) throws SpawnFailure {
        try {
            return Unistd.dupCloexecAbove(fd, above + 1);
        } catch (SyscallException e) {
            throw new SpawnFailure("fcntl(F_DUPFD_CLOEXEC) of " + fd, e.errno());
        }
    }

    private static Started launch(Arena arena, MemorySegment fa, MemorySegment attr, Request req) throws SpawnFailure {
        MemorySegment path = Native.cString(arena, req.path());
        MemorySegment argv = Native.cStringArray(arena, req.argv());
        MemorySegment envp = req.env() == null ? Spawn.environ() : Native.cStringArray(arena, req.env());
        MemorySegment pidOut = arena.allocate(ValueLayout.JAVA_INT);
        int err;
        do {
            err = Spawn.spawn(pidOut, path, fa, attr, argv, envp);
        } while (err == Errno.EINTR);
        if (err != 0) {
            throw new SpawnFailure("posix_spawn", err);
        }
        int pid = pidOut.get(ValueLayout.JAVA_INT, 0);
        return new Started(pid, openPidfd(pid));
    }

    /** The child's pidfd, or null where the kernel or a sandbox refuses pidfds. */
    private static Fd openPidfd(int pid) throws SpawnFailure {
        if (!PidfdSupport.available()) {
            return null;
        }
        try {
            return Pidfd.open(pid);
        } catch (SyscallException e) {
            // EMFILE and the like: the child runs; the caller must still be able to reap it,
            // so report the failure with the pid.
            throw new SpawnFailure("pidfd_open(" + pid + ") after spawning it", e.errno(), pid);
        }
    }

    private static void check(int err, String step) throws SpawnFailure {
        if (err != 0) throw new SpawnFailure(step, err);
    }
}
