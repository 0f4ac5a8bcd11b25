/**
 * The benchmark harness: procwarden beside the JDK, NuProcess, pty4j and C loops (scripts/bench).
 *
 * <p>A module of its own, so it can reach procwarden only as a user does: through the exported
 * package {@code io.procwarden} (a class planted in that package here is a compile error: it
 * exists in another module). One narrow hook on top, declared in {@code bench/pom.xml} for
 * compilation and the run alike: {@code --add-exports io.procwarden/io.procwarden.internal.ffi=io.procwarden.bench},
 * the native bindings, for machine set-up the public API has no business offering (kill(2) by
 * pid on non-children, RLIMIT_NOFILE, raw descriptors for the open-fds spawn runs, the glibc
 * version). Nothing else internal is reachable; the monitor thread's CPU time is found through
 * the public promise that futures complete on it.
 */
module io.procwarden.bench {
    requires io.procwarden;
    requires com.zaxxer.nuprocess;
    requires pty4j; // an automatic module (its jar's name): the pty comparison's peer
    requires com.sun.jna; // the JNA both peers run on, for its version in the report
    requires java.management;
    requires jdk.management; // the JVM's CPU time (com.sun.management.OperatingSystemMXBean)
}
