package io.procwarden;

import java.util.Locale;

/**
 * How a spawn closes, in the child, every file descriptor it was not given: whatever this JVM
 * holds (jar files, sockets, descriptors without {@code O_CLOEXEC}, thousands of them, numbers
 * above 1024 or above a lowered soft {@code RLIMIT_NOFILE}), only 0, 1, 2 and the preserved
 * descriptors reach the program.
 *
 * <p>Chosen once per JVM, best first: {@link #CLOSEFROM} where the C library has it, else
 * {@link #CLOEXEC_DEFAULT} on macOS, else {@link #ENUMERATE}. The system property
 * {@value #PROPERTY} ({@code closefrom}, {@code cloexec-default}, {@code enumerate}) forces one,
 * read when the first process is spawned; an unknown value, or one this system cannot run, makes
 * every spawn fail with the value named. {@link ProcessSpec#fdCloseMechanism()} tells which one
 * runs.
 */
public enum FdCloseMechanism {
    /**
     * glibc 2.34+ {@code posix_spawn_file_actions_addclosefrom_np}: the child calls
     * {@code close_range(first, ~0U, 0)} (Linux 5.9; glibc walks {@code /proc/self/fd} on older
     * kernels) just before exec. Race-free: descriptors other threads open during the spawn are
     * closed too.
     */
    CLOSEFROM("posix_spawn_file_actions_addclosefrom_np (close_range in the child)"),
    /**
     * macOS {@code POSIX_SPAWN_CLOEXEC_DEFAULT}: only the descriptors named by file actions reach
     * the child. Race-free.
     */
    CLOEXEC_DEFAULT("POSIX_SPAWN_CLOEXEC_DEFAULT (macOS)"),
    /**
     * Older C libraries: the parent lists {@code /proc/self/fd} and adds one close action per
     * descriptor. glibc refuses to name a descriptor at or above the soft {@code RLIMIT_NOFILE}
     * in a close action, so for descriptors above a lowered soft limit the soft limit is raised
     * (never above the hard one) only while the actions are recorded and restored before the
     * spawn: the child inherits the original limit. A descriptor at or above the hard limit, or
     * an unreadable {@code /proc/self/fd}, fails the spawn with the reason; nothing leaks
     * silently. Limitation: a descriptor another thread opens between the listing and the spawn
     * without {@code O_CLOEXEC} reaches the child.
     */
    ENUMERATE("close actions for each descriptor listed in /proc/self/fd");

    /** The system property that forces a mechanism: {@value}. */
    public static final String PROPERTY = "procwarden.spawn.fdclose";

    private final String description;

    FdCloseMechanism(String description) {
        this.description = description;
    }

    /** A short description of the mechanism. */
    public String description() {
        return description;
    }

    /** The lower-case id the system property uses ({@code closefrom}, {@code cloexec-default}, {@code enumerate}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
