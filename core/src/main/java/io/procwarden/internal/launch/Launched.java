package io.procwarden.internal.launch;

import io.procwarden.internal.jail.Containment;
import io.procwarden.internal.monitor.Registration;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * What {@link Launcher} started: a child registered with a monitor loop, which reaps it. The
 * caller takes ownership of the pipe ends.
 *
 * @param pid the child's pid
 * @param registration its registration (signals through the pidfd, or the pid while unreaped)
 * @param stdin our end of its stdin pipe, or null when stdin is not piped
 * @param stdout our end of its stdout pipe, or null
 * @param stderr our end of its stderr pipe, or null
 * @param containment what holds it beyond its own pid (a jailed child's cgroup), or null
 */
public record Launched(int pid, Registration registration, OutputStream stdin, InputStream stdout,
        InputStream stderr, Containment containment) {}
