package io.procwarden.internal.spawn;

import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Spawn;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How every descriptor the child should not have is closed before exec.
 *
 * <p>The JVM holds descriptors that are not close-on-exec (jar files, sockets, files opened by
 * libraries) and other threads open more while we spawn, so marking them in the parent is not
 * enough. In order of preference:
 * <ol>
 *   <li>{@link Mechanism#CLOSEFROM_NP}: glibc 2.34+ {@code posix_spawn_file_actions_addclosefrom_np}.
 *       The child calls {@code close_range(from, ~0U, 0)} (Linux 5.9), or, where that fails
 *       with ENOSYS, walks {@code /proc/self/fd} itself; if both fail the spawn fails.
 *       Race-free: it runs in the child, after every other thread's open.
 *   <li>{@link Mechanism#CLOEXEC_DEFAULT}: macOS {@code POSIX_SPAWN_CLOEXEC_DEFAULT}: only the
 *       descriptors named by file actions reach the child. Race-free.
 *   <li>{@link Mechanism#ENUMERATE}: older C libraries: the parent lists {@code /proc/self/fd}
 *       (or, without /proc, every number below max(soft, hard) RLIMIT_NOFILE capped at 2^20,
 *       with a floor of 1024) and adds one close action per descriptor. A descriptor another
 *       thread opens between the listing and the spawn is the one thing this cannot close.
 * </ol>
 * The mechanism is chosen once; the system property {@value #PROPERTY} ({@code closefrom},
 * {@code cloexec-default}, {@code enumerate}) forces one, for tests and diagnostics.
 */
public final class FdCloser {
    private FdCloser() {}

    /** System property that forces a mechanism: {@value}. */
    public static final String PROPERTY = "procwarden.spawn.fdclose";

    /** The mechanisms, best first. */
    public enum Mechanism {
        CLOSEFROM_NP("posix_spawn_file_actions_addclosefrom_np (close_range in the child)"),
        CLOEXEC_DEFAULT("POSIX_SPAWN_CLOEXEC_DEFAULT (macOS)"),
        ENUMERATE("close actions for each descriptor listed in the parent");

        private final String description;

        Mechanism(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace("_np", "").replace('_', '-');
        }
    }

    private static final class Chosen {
        static final Mechanism MECHANISM = choose();
    }

    /** The mechanism this process uses. */
    public static Mechanism mechanism() {
        return Chosen.MECHANISM;
    }

    private static Mechanism choose() {
        String forced = System.getProperty(PROPERTY, "").trim();
        if (!forced.isEmpty()) {
            for (Mechanism m : Mechanism.values()) {
                if (m.id().equalsIgnoreCase(forced)) {
                    if (m == Mechanism.CLOSEFROM_NP && !Spawn.hasAddClosefrom()) {
                        throw new IllegalStateException(PROPERTY + "=" + forced
                                + " but this C library has no posix_spawn_file_actions_addclosefrom_np (glibc < 2.34)");
                    }
                    if (m == Mechanism.CLOEXEC_DEFAULT && !Platform.current().isMacOs()) {
                        throw new IllegalStateException(PROPERTY + "=" + forced + " is macOS only");
                    }
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown " + PROPERTY + " value \"" + forced
                    + "\" (valid: closefrom, cloexec-default, enumerate)");
        }
        if (Platform.current().isMacOs()) return Mechanism.CLOEXEC_DEFAULT;
        if (Spawn.hasAddClosefrom()) return Mechanism.CLOSEFROM_NP;
        return Mechanism.ENUMERATE;
    }

    /**
     * Adds the actions (or flag) that close every descriptor from {@code firstToClose} up in the
     * child. Must be called after the dup2 actions that set up the child's descriptors.
     *
     * @param keep descriptors (child numbers) below {@code firstToClose} that stay open
     * @return spawn attribute flags to add (CLOEXEC_DEFAULT), else 0
     */
    static short addCloseActions(MemorySegment fileActions, int firstToClose, List<Integer> keep) throws SpawnFailure {
        switch (mechanism()) {
            case CLOSEFROM_NP -> check(Spawn.addClosefrom(fileActions, firstToClose), "addclosefrom_np");
            case CLOEXEC_DEFAULT -> {
                // Only fds named by file actions survive; dup2'd ones are named. Standard
                // streams that are inherited unchanged must be named explicitly.
                for (int fd : keep) {
                    check(Spawn.addInherit(fileActions, fd), "addinherit_np(" + fd + ")");
                }
                return Spawn.POSIX_SPAWN_CLOEXEC_DEFAULT;
            }
            case ENUMERATE -> {
                for (int fd : openDescriptors()) {
                    if (fd >= firstToClose) {
                        check(Spawn.addClose(fileActions, fd), "addclose(" + fd + ")");
                    }
                }
            }
        }
        return 0;
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
