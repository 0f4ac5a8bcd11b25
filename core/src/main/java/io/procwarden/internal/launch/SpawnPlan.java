package io.procwarden.internal.launch;

import io.procwarden.Redirect;
import io.procwarden.internal.jail.JailPlan;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything {@link Launcher} needs to start one child, resolved from the public spec once: the
 * launcher reads only this. Immutable.
 *
 * @param command the command as given (named in errors; looked up on {@code PATH} if it has no {@code '/'})
 * @param argv the arguments, {@code argv[0]} (the command as given) first
 * @param environment {@code "NAME=value"} entries, or null to pass this process's {@code environ}
 *     unchanged; an empty list is an empty environment
 * @param directory the child's working directory, or null for ours
 * @param stdin where fd 0 comes from
 * @param stdout where fd 1 goes
 * @param stderr where fd 2 goes (may be {@link Redirect#TO_STDOUT})
 * @param preservedFds child descriptor number (3 and up) to the number in this process it gets a copy of
 * @param newSession setsid in the child
 * @param newProcessGroup setpgid(0, 0) in the child (implied by {@code newSession})
 * @param jail the jail, or null to run unjailed
 * @param pty a pseudo-terminal for the child's stdin and stdout (and stderr), or null; implies a new session
 * @param foregroundJob the child's new process group becomes the foreground job of our controlling
 *     terminal ({@link ForegroundJob}); needs {@code newProcessGroup}, excludes a new session and a pty
 */
public record SpawnPlan(String command, List<String> argv, List<String> environment, Path directory, Redirect stdin,
        Redirect stdout, Redirect stderr, Map<Integer, Integer> preservedFds, boolean newSession,
        boolean newProcessGroup, JailPlan jail, PtyPlan pty, boolean foregroundJob) {
    public SpawnPlan {
        if (foregroundJob && (newSession || !newProcessGroup || pty != null)) {
            throw new IllegalArgumentException("a foreground job leads a new process group in this session, without a pty");
        }
        Objects.requireNonNull(command, "command");
        argv = List.copyOf(argv);
        if (argv.isEmpty()) throw new IllegalArgumentException("empty argv for " + command);
        environment = environment == null ? null : List.copyOf(environment);
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        preservedFds = Collections.unmodifiableMap(new TreeMap<>(preservedFds));
    }

    /** Without a pseudo-terminal. */
    public SpawnPlan(String command, List<String> argv, List<String> environment, Path directory, Redirect stdin,
            Redirect stdout, Redirect stderr, Map<Integer, Integer> preservedFds, boolean newSession,
            boolean newProcessGroup, JailPlan jail) {
        this(command, argv, environment, directory, stdin, stdout, stderr, preservedFds, newSession, newProcessGroup,
                jail, null, false);
    }
}
