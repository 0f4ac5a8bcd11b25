package io.procwarden.internal.jail.cgroup;

import io.procwarden.JailUnavailableException;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Pidfd;
import io.procwarden.internal.ffi.Signals;
import io.procwarden.internal.sys.ProcFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * File operations shared by both cgroup mechanisms. Every failure names the file (and the value
 * written), since a bare "Invalid argument" from a cgroup file says nothing.
 */
final class CgroupFiles {
    private CgroupFiles() {}

    /** How long teardown waits for a killed cgroup to empty before reporting what is left. */
    static final long EMPTY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("procwarden.cgroup.teardownSeconds", 10));

    /** Writes {@code value} in one write(2), without creating or truncating (cgroup files exist already). */
    static void write(Path file, String value) throws IOException {
        try {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("cannot write \"" + value + "\" to " + file + ": " + reason(e), e);
        }
    }

    /** Reads a whole cgroup or /proc file (they report size 0, so not Files.readString). */
    static String read(Path file) throws IOException {
        try {
            return new String(ProcFs.readFile(file), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + reason(e), e);
        }
    }

    /** The value of {@code key} in a flat keyed file ({@code "oom_kill 3"}); -1 when absent or unreadable. */
    static long keyed(Path file, String key) {
        try {
            for (String line : read(file).split("\n")) {
                String[] kv = line.trim().split("\\s+");
                if (kv.length == 2 && kv[0].equals(key)) return Long.parseLong(kv[1]);
            }
        } catch (IOException | NumberFormatException e) {
            // a missing file (old kernel) or an odd value: the count is unknown
        }
        return -1;
    }

    /** The pids listed in {@code dir/cgroup.procs}. */
    static List<Integer> pids(Path dir) throws IOException {
        List<Integer> pids = new ArrayList<>();
        for (String line : read(dir.resolve("cgroup.procs")).split("\n")) {
            if (!line.isBlank()) pids.add(Integer.parseInt(line.trim()));
        }
        return pids;
    }

    /**
     * Sends {@code signal} to every pid listed in {@code dir/cgroup.procs} that is still a
     * member. A listed pid may exit and be reused by a stranger before we signal it, so each is
     * pinned with a pidfd and checked in {@code /proc/PID/cgroup} first; without pidfds the
     * check and kill(2) leave a tiny window.
     *
     * @return how many were signalled
     */
    static int signalListed(Path dir, String hierarchyPath, int signal) throws IOException {
        if (!Files.isDirectory(dir)) return 0; // removed already: nothing left to signal
        int signalled = 0;
        for (int pid : pids(dir)) {
            if (signalIfMember(pid, hierarchyPath, signal)) signalled++;
        }
        return signalled;
    }

    private static boolean signalIfMember(int pid, String hierarchyPath, int signal) throws IOException {
        Fd pidfd = null;
        try {
            try {
                pidfd = Pidfd.open(pid);
            } catch (SyscallException e) {
                if (e.errno() == Errno.ESRCH) return false; // gone already
                if (!Errno.meansUnsupported(e.errno())) throw e;
            }
            if (!isMember(pid, hierarchyPath)) return false;
            // false: it exited since the check
            return pidfd != null ? Pidfd.sendSignal(pidfd, signal) : Signals.kill(pid, signal);
        } finally {
            if (pidfd != null) pidfd.close();
        }
    }

    private static boolean isMember(int pid, String hierarchyPath) {
        String text;
        try {
            text = read(Path.of("/proc", Integer.toString(pid), "cgroup"));
        } catch (IOException e) {
            return false; // exited
        }
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':', line.indexOf(':') + 1);
            if (colon < 0) continue;
            String path = line.substring(colon + 1);
            if (path.equals(hierarchyPath) || path.startsWith(hierarchyPath + "/")) return true;
        }
        return false;
    }

    /** A file operation that may fail. */
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }

    /**
     * Kills, then removes every directory in order ({@code tracked}, whose cgroup.procs names the
     * stragglers, last). A directory with members fails with EBUSY: kill again, wait for the
     * killed members' exits by pidfd ({@link CgroupDrain}), retry.
     *
     * <p>One case has no event to wait for: a dying process drops out of cgroup.procs a moment
     * before the kernel stops counting it (and v1 has no "populated" notification), or the
     * kernel refuses pidfds. Only then does it retry after a short pause, doubling up to 1 ms.
     */
    static void killAndRemove(Path tracked, List<Path> dirs, IoAction killAll) throws IOException {
        long deadline = System.nanoTime() + EMPTY_TIMEOUT_NANOS;
        long pause = 10_000;
        if (Files.isDirectory(tracked)) killAll.run(); // else removed already (by us earlier, or by someone else)
        for (Path dir : dirs) {
            while (true) {
                try {
                    Files.delete(dir);
                    break;
                } catch (NoSuchFileException e) {
                    break;
                } catch (IOException e) {
                    boolean listed = Files.isDirectory(tracked);
                    if (System.nanoTime() > deadline) {
                        throw new IOException("cannot remove " + dir + ": " + reason(e) + "; processes still in it: "
                                + (listed ? pids(tracked) : List.of()), e);
                    }
                    if (listed) killAll.run();
                    if (!listed || !CgroupDrain.awaitMembersExit(tracked, deadline)) {
                        // sleep-ok: no event exists for this moment (see above); bounded by the deadline.
                        LockSupport.parkNanos(pause);
                        pause = Math.min(pause * 2, 1_000_000);
                    }
                }
            }
        }
    }

    /** mkdir; no write access is a missing capability, not a bug. */
    static void mkdir(Path dir) throws IOException {
        try {
            Files.createDirectory(dir);
        } catch (AccessDeniedException e) {
            throw new JailUnavailableException("write access to cgroup " + dir.getParent(),
                    "cannot create " + dir + " (run as root, or in a cgroup delegated to this user)");
        } catch (IOException e) {
            throw new IOException("cannot create cgroup " + dir + ": " + reason(e), e);
        }
    }

    /** Removes a directory we just created, on an error path; failures are added to {@code primary}. */
    static void removeQuietly(Path dir, Exception primary) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }

    static String reason(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + m;
    }
}
