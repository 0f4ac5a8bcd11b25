package io.procwarden.internal.launch;

import io.procwarden.internal.io.ChildPipes;
import io.procwarden.internal.io.PtyMaster;
import io.procwarden.internal.jail.Containment;
import io.procwarden.internal.monitor.Registration;

/**
 * What {@link Launcher} started: a child registered with a monitor loop, which reaps it. The
 * caller takes ownership of the pipe ends.
 *
 * @param pid the child's pid
 * @param registration its registration (signals through the pidfd, or the pid while unreaped)
 * @param pipes our non-blocking ends of its stdin, stdout and stderr pipes, on the loop (each
 *     absent when not piped); told of the exit before the listener, so the drain has started
 *     when anyone learns of the exit
 * @param containment what holds it beyond its own pid (a jailed child's cgroup), or null
 * @param pty its pseudo-terminal's master (resizing), or null; its stdin and stdout are in {@code pipes}
 */
public record Launched(int pid, Registration registration, ChildPipes pipes, Containment containment, PtyMaster pty) {
    /** Without a pseudo-terminal. */
    public Launched(int pid, Registration registration, ChildPipes pipes, Containment containment) {
        this(pid, registration, pipes, containment, null);
    }

    /** The same, with this pseudo-terminal. */
    Launched withPty(PtyMaster p) {
        return new Launched(pid, registration, pipes, containment, p);
    }
}
