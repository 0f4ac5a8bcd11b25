package io.procwarden.internal.spawn;

import io.procwarden.FdCloseMechanism;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Errno;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Resource;
import io.procwarden.internal.ffi.Spawn;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * How every descriptor the child should not have is closed before exec (see
 * {@link FdCloseMechanism} for the mechanisms and their guarantees).
 *
 * <p>The JVM holds descriptors that are not close-on-exec (jar files, sockets, files opened by
 * libraries) and other threads open more while we spawn, so marking them in the parent is not
 * enough: the closing happens in the child, after the dup2 actions that set up its descriptors.
 * The mechanism is chosen once; {@value FdCloseMechanism#PROPERTY} forces one.
 */
public final class FdCloser {
    private FdCloser() {}

    /** Serialises the temporary soft-limit raise of {@link FdCloseMechanism#ENUMERATE} between our spawns. */
    private static final Object LIMIT_LOCK = new Object();

    private static final class Chosen {
        static final FdCloseMechanism MECHANISM;
        static final String ERROR;

        static {
            FdCloseMechanism m = null;
            String error = null;
            try {
                m = choose();
            } catch (IllegalArgumentException | IllegalStateException e) {
                error = e.getMessage();
            }
            MECHANISM = m;
            ERROR = error;
        }
    }

    /**
     * The mechanism this process uses.
     *
     * @throws IllegalStateException (every time) if the system property names an unknown
     *     mechanism or one this system cannot run
     */
    public static FdCloseMechanism mechanism() {
        if (Chosen.ERROR != null) throw new IllegalStateException(Chosen.ERROR);
        return Chosen.MECHANISM;
    }

    private static FdCloseMechanism choose() {
        String forced = System.getProperty(FdCloseMechanism.PROPERTY, "").trim();
        if (!forced.isEmpty()) {
            for (FdCloseMechanism m : FdCloseMechanism.values()) {
                if (m.id().equalsIgnoreCase(forced)) {
                    if (m == FdCloseMechanism.CLOSEFROM && !Spawn.hasAddClosefrom()) {
                        throw new IllegalStateException(FdCloseMechanism.PROPERTY + "=" + forced
                                + " but this C library has no posix_spawn_file_actions_addclosefrom_np (glibc < 2.34)");
                    }
                    if (m == FdCloseMechanism.CLOEXEC_DEFAULT && !Platform.current().isMacOs()) {
                        throw new IllegalStateException(FdCloseMechanism.PROPERTY + "=" + forced + " is macOS only");
                    }
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown " + FdCloseMechanism.PROPERTY + " value \"" + forced
                    + "\" (valid: closefrom, cloexec-default, enumerate)");
        }
        if (Platform.current().isMacOs()) return FdCloseMechanism.CLOEXEC_DEFAULT;
        if (Spawn.hasAddClosefrom()) return FdCloseMechanism.CLOSEFROM;
        return FdCloseMechanism.ENUMERATE;
    }

    /**
     * Adds the actions (or the flag) that leave the child exactly {@code targets} plus the
     * inherited standard descriptors {@code keep}. Must be called after the dup2 actions.
     *
     * @param targets child descriptor numbers set by dup2 actions
     * @param keep numbers 0..2 the child inherits unchanged from us
     * @return spawn attribute flags to add ({@code POSIX_SPAWN_CLOEXEC_DEFAULT}), else 0
     */
    static short addCloseActions(MemorySegment fa, Set<Integer> targets, List<Integer> keep) throws SpawnFailure {
        int highestTarget = targets.isEmpty() ? 2 : Math.max(2, Collections.max(targets));
        switch (mechanism()) {
            case CLOSEFROM -> {
                // closefrom covers everything above the highest target; numbers between 3 and it
                // that are not targets (preserving only fd 5 leaves 3 and 4) need their own close.
                for (int n = 3; n < highestTarget; n++) {
                    if (!targets.contains(n)) check(Spawn.addClose(fa, n), "addclose(" + n + ")");
                }
                check(Spawn.addClosefrom(fa, highestTarget + 1), "addclosefrom_np(" + (highestTarget + 1) + ")");
            }
            case CLOEXEC_DEFAULT -> {
                // Only fds named by file actions survive; dup2'd ones are named. Standard
                // streams that are inherited unchanged must be named explicitly.
                for (int fd : keep) {
                    check(Spawn.addInherit(fa, fd), "addinherit_np(" + fd + ")");
                }
                return Spawn.POSIX_SPAWN_CLOEXEC_DEFAULT;
            }
            case ENUMERATE -> addEnumeratedCloses(fa, targets, keep);
        }
        return 0;
    }

    /**
     * One close action per descriptor open now, except the targets and the kept ones.
     *
     * <p>glibc's addclose answers EBADF for a number at or above {@code sysconf(_SC_OPEN_MAX)},
     * the soft RLIMIT_NOFILE read at that moment, while the child's close(2) has no such bound.
     * A descriptor opened before the soft limit was lowered is therefore still open and
     * unnamable; we raise the soft limit (up to the hard one) only while recording the actions
     * and restore it before posix_spawn, so the child inherits the original limit. Other threads
     * see the raised limit for that moment; our own spawns are serialised around it.
     */
    private static void addEnumeratedCloses(MemorySegment fa, Set<Integer> targets, List<Integer> keep)
            throws SpawnFailure {
        List<Integer> toClose = new ArrayList<>();
        for (int fd : openDescriptors()) {
            if (!targets.contains(fd) && !keep.contains(fd)) toClose.add(fd);
        }
        if (toClose.isEmpty()) return;
        int highest = Collections.max(toClose);
        synchronized (LIMIT_LOCK) {
            Resource.Limit limit = nofile();
            boolean raise = highest >= limit.softBound();
            if (raise) {
                if (highest >= limit.hardBound()) {
                    throw new SpawnFailure("fd " + highest + " is open at or above the hard RLIMIT_NOFILE ("
                            + limit.hard() + "), so no close action can name it and it would reach the child;"
                            + " close it, or raise the hard limit", Errno.EBADF);
                }
                setNofile(new Resource.Limit(highest + 1L, limit.hard()), "raise the soft RLIMIT_NOFILE to "
                        + (highest + 1) + " to close fd " + highest);
            }
            try {
                for (int fd : toClose) {
                    check(Spawn.addClose(fa, fd), "addclose(" + fd + ")");
                }
            } finally {
                if (raise) {
                    setNofile(limit, "restore the soft RLIMIT_NOFILE to " + limit.soft());
                }
            }
        }
    }

    private static Resource.Limit nofile() throws SpawnFailure {
        try {
            return Resource.get(Resource.RLIMIT_NOFILE);
        } catch (SyscallException e) {
            throw new SpawnFailure(e.getMessage(), e.errno());
        }
    }

    private static void setNofile(Resource.Limit limit, String why) throws SpawnFailure {
        try {
            Resource.set(Resource.RLIMIT_NOFILE, limit);
        } catch (SyscallException e) {
            throw new SpawnFailure("cannot " + why + ": " + e.getMessage(), e.errno());
        }
    }

    /** The parent's open descriptor numbers, from /proc/self/fd (or /dev/fd on macOS). */
    static List<Integer> openDescriptors() throws SpawnFailure {
        Path dir = Path.of(Platform.current().isLinux() ? "/proc/self/fd" : "/dev/fd");
        List<Integer> fds = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                fds.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            // Without the list we cannot know what to close: fail rather than leak.
            throw new SpawnFailure("cannot list " + dir + " to close inherited descriptors: " + e, 0);
        }
        return fds;
    }

    private static void check(int err, String what) throws SpawnFailure {
        if (err != 0) {
            throw new SpawnFailure("posix_spawn_file_actions_" + what, err);
        }
    }
}
