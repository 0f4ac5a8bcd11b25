package io.procwarden;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link ChildProcess#killOnJvmExit()}: one shutdown hook, installed on first use, kills every
 * child still registered (through its containment when jailed, so a cgroup goes whole). A
 * child leaves the set when it exits, so the set holds only live children.
 *
 * <p>A shutdown hook runs on {@code System.exit}, the return of the last non-daemon thread and
 * SIGINT/SIGTERM/SIGHUP; not on SIGKILL, a crash or {@code Runtime.halt}. For those, the jail's
 * {@link JailSpec#parentDeathSignal(Signal)} (Linux) has the kernel signal the child itself.
 */
final class JvmExitKill {
    private JvmExitKill() {}

    private static final Set<ChildProcess> CHILDREN = ConcurrentHashMap.newKeySet();

    static {
        Thread hook = new Thread(JvmExitKill::killAll, "procwarden-kill-on-exit");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static void register(ChildProcess child) {
        CHILDREN.add(child);
        // Already exited (or exiting now): the callback runs at once and takes it out again.
        child.onExit().whenComplete((s, t) -> CHILDREN.remove(child));
    }

    private static void killAll() {
        for (ChildProcess c : CHILDREN) {
            c.kill(); // false if it has just exited: nothing to do
        }
    }
}
