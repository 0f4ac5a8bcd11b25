package io.procwarden.internal.tree;

import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.internal.ffi.Wait;
import io.procwarden.internal.spawn.PosixSpawner;
import io.procwarden.internal.spawn.SpawnFailure;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Kills the contained cgroup v2 trees still running when this JVM ends, however it ends
 * (SIGKILL, a crash, {@code System.exit}): one {@code /bin/sh} per JVM, started with the first
 * such tree, in a session of its own and deaf to INT, HUP, TERM and QUIT, reading a pipe whose
 * only writer is this JVM. Each tree is announced ({@code + DIR EXTRA...}) when its child joins
 * it and withdrawn ({@code - DIR}) once it is torn down. When the pipe reaches end of file (the
 * kernel closes our end when the JVM dies), the shell writes 1 to each remaining tree's
 * {@code cgroup.kill} and removes the directories (retrying for at most a second while the killed
 * members exit: no event reaches a shell). No helper binary: the shell is the one the jail
 * already needs.
 *
 * <p>It lives only while such trees do: when the last one is withdrawn our end is closed, the
 * guardian (told of no tree) exits, and it is reaped here; the next tree starts a new one (one
 * more {@code sh} spawn for a program that contains one short-lived tree after another).
 *
 * <p>Not covered: the subreaper rung (once this JVM is gone its members belong to init and pids
 * alone would name them) and the v1 rung; a tree whose directory has white space in its path.
 * If the guardian itself is killed, it is reaped and started again with the next tree.
 */
final class TreeGuardian {
    private TreeGuardian() {}

    private static final String SCRIPT = String.join("\n",
            "trap '' INT HUP TERM QUIT PIPE",
            "live=''",
            "while read -r op dir extra; do",
            "  case $op in",
            "    +) live=\"$live $dir${extra:+,$extra}\" ;;",
            "    -) next=''; for e in $live; do [ \"${e%%,*}\" = \"$dir\" ] || next=\"$next $e\"; done; live=$next ;;",
            "  esac",
            "done",
            "for e in $live; do echo 1 > \"${e%%,*}/cgroup.kill\"; done 2>/dev/null",
            "for e in $live; do",
            "  i=0",
            "  for d in $(echo \"$e\" | tr ',' ' '); do",
            "    while [ -d \"$d\" ] && ! rmdir \"$d\" 2>/dev/null && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.01; done",
            "  done",
            "done");

    private static final Map<Object, String> TREES = new LinkedHashMap<>(); // guarded by TreeGuardian.class
    private static Fd pipe; // our write end; guarded by TreeGuardian.class
    private static Fd guardianPidfd; // guarded by TreeGuardian.class
    private static int guardianPid; // guarded by TreeGuardian.class

    /** Announces a v2 tree (its directory first, then other directories to remove after it). */
    static synchronized void register(Object tree, Path dir, List<Path> extraDirs) throws IOException {
        if (!ENABLED) return;
        for (Path d : extraDirs) if (!plain(d)) return;
        if (!plain(dir)) return; // not announceable in one line of words
        String line = dir + (extraDirs.isEmpty() ? "" : " " + extraDirs.stream().map(Path::toString).collect(Collectors.joining(",")));
        if (!send("+ " + line)) {
            restart();
            if (!send("+ " + line)) throw new IOException("the tree guardian does not read its pipe");
        }
        TREES.put(tree, line);
    }

    /** {@value #PROPERTY}{@code =false} turns the guardian off. */
    static final String PROPERTY = "procwarden.tree.guardian";
    private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());

    private static boolean plain(Path p) {
        return p.toString().chars().noneMatch(c -> Character.isWhitespace(c) || c == ',');
    }

    /** Withdraws a tree that was torn down; with none left the guardian is let go (end of file) and reaped. */
    static synchronized void unregister(Object tree) {
        String line = TREES.remove(tree);
        if (line == null) return;
        send("- " + line.split(" ")[0]);
        if (TREES.isEmpty()) stop();
    }

    /** Closes our end: the guardian, told of no tree, exits at once; it is reaped here. */
    private static void stop() {
        if (pipe == null) return;
        pipe.close();
        pipe = null;
        try {
            if (guardianPidfd != null) Wait.waitidPidfd(guardianPidfd, 0);
            else if (guardianPid > 0) Wait.wait4(guardianPid, 0);
        } catch (SyscallException e) {
            // ECHILD: reaped already
        } finally {
            if (guardianPidfd != null) guardianPidfd.close();
            guardianPidfd = null;
            guardianPid = 0;
        }
    }

    /** Writes one line; false if there is no guardian or it is gone (EPIPE). */
    private static boolean send(String line) {
        if (pipe == null) return false;
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, b);
            long off = 0;
            while (off < b.length) off += Unistd.write(pipe, m.asSlice(off), b.length - off);
            return true;
        } catch (SyscallException e) {
            return false; // EPIPE: the guardian died (the JVM ignores SIGPIPE)
        }
    }

    /** Reaps a dead guardian and starts a new one, which is told of every tree still registered. */
    private static void restart() throws IOException {
        if (pipe != null) pipe.close();
        try {
            // A guardian that died is our child: reap it (it had no other way to go).
            if (guardianPidfd != null) Wait.waitidPidfd(guardianPidfd, Wait.WNOHANG);
            else if (guardianPid > 0) Wait.wait4(guardianPid, Wait.WNOHANG);
        } catch (SyscallException e) {
            // reaped already: nothing to do
        }
        if (guardianPidfd != null) guardianPidfd.close();
        pipe = null;
        guardianPidfd = null;
        guardianPid = 0;
        Fd[] p = Unistd.pipe();
        try (Fd devNull = Unistd.open("/dev/null", Unistd.O_RDWR | Unistd.O_CLOEXEC, 0)) {
            PosixSpawner.Started s = PosixSpawner.spawn(new PosixSpawner.Request("/bin/sh",
                    List.of("sh", "-c", SCRIPT, "procwarden-tree-guardian"), null, "/",
                    Map.of(0, p[0], 1, devNull, 2, devNull), true, false));
            guardianPidfd = s.pidfd();
            guardianPid = s.pid();
            pipe = p[1];
        } catch (SpawnFailure f) {
            p[1].close();
            throw new IOException("cannot start the tree guardian (/bin/sh): " + f.getMessage(), f);
        } finally {
            p[0].close();
        }
        for (String line : TREES.values()) send("+ " + line);
    }
}
