package io.procwarden;

import io.procwarden.internal.spawn.FdCloser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What to run and how: an immutable value built fluently; every {@code with}-style method
 * returns a new spec and leaves this one unchanged.
 * {@snippet :
 * try (ChildProcess p = ProcessSpec.of("git", "status", "--short")
 *         .directory(repo)
 *         .stdout(Redirect.PIPE)
 *         .stderr(Redirect.TO_STDOUT)
 *         .spawn()) {
 *     String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
 *     ExitStatus status = p.waitFor();
 * }
 * }
 *
 * <h2>What the child gets</h2>
 * <ul>
 *   <li>The program: a command without {@code '/'} is looked up on the {@code PATH} of <em>this
 *       JVM</em> (like {@link ProcessBuilder}; {@code /bin:/usr/bin} if unset; relative entries
 *       are taken relative to the child's directory) when {@link #spawn()} runs; a command with
 *       a {@code '/'} is used as is, a relative one relative to the child's directory.
 *       {@code argv[0]} is the command as given.
 *   <li>Descriptors 0, 1, 2 as the {@link Redirect}s say ({@link Redirect#INHERIT} by default),
 *       the {@linkplain #preserveFd preserved} ones, and nothing else, closed by the
 *       {@linkplain #fdCloseMechanism() mechanism} this system offers.
 *   <li>An empty signal mask and every signal at its default disposition (the JVM blocks and
 *       ignores some; the child does not inherit that).
 *   <li>This JVM's environment unless told otherwise; the working directory of this JVM unless
 *       {@link #directory(Path)} is set.
 * </ul>
 *
 * <p>Values that can never work are rejected when set, with {@link IllegalArgumentException}
 * naming them: an empty command, NUL characters in the command, arguments, environment names or
 * values, {@code '='} in an environment name, negative descriptor numbers. Every parameter must
 * be non-null ({@link NullPointerException} otherwise). Thread-safe: instances are immutable.
 */
public final class ProcessSpec {
    private enum EnvMode { INHERIT, INHERIT_ONLY, EXPLICIT }

    private final String command;
    private final List<String> args;
    private final Path directory; // null: this JVM's
    private final EnvMode envMode;
    private final Map<String, String> envBase; // EXPLICIT: the map
    private final Set<String> envNames; // INHERIT_ONLY: the names
    private final Map<String, String> envSet; // set on top of any mode
    private final Redirect stdin;
    private final Redirect stdout;
    private final Redirect stderr;
    private final Map<Integer, Integer> preserved; // child fd -> parent fd
    private final boolean newSession;
    private final boolean newProcessGroup;
    private final JailSpec jail; // null: not jailed

    private ProcessSpec(String command, List<String> args, Path directory, EnvMode envMode, Map<String, String> envBase,
            Set<String> envNames, Map<String, String> envSet, Redirect stdin, Redirect stdout, Redirect stderr,
            Map<Integer, Integer> preserved, boolean newSession, boolean newProcessGroup, JailSpec jail) {
        this.command = command;
        this.args = List.copyOf(args);
        this.directory = directory;
        this.envMode = envMode;
        this.envBase = unmodifiableSorted(envBase);
        this.envNames = java.util.Collections.unmodifiableSet(new TreeSet<>(envNames));
        this.envSet = unmodifiableSorted(envSet);
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.preserved = java.util.Collections.unmodifiableMap(new TreeMap<>(preserved));
        this.newSession = newSession;
        this.newProcessGroup = newProcessGroup;
        this.jail = jail;
    }

    /** A spec for {@code command} with {@code args}; everything else at its default. */
    public static ProcessSpec of(String command, String... args) {
        checkText("command", Objects.requireNonNull(command, "command"));
        if (command.isEmpty()) throw new IllegalArgumentException("empty command");
        return new ProcessSpec(command, List.of(), null, EnvMode.INHERIT, Map.of(), Set.of(), Map.of(),
                Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT, Map.of(), false, false, null).args(args);
    }

    /** A spec from a command line already split into words: the first is the command. */
    public static ProcessSpec of(List<String> commandLine) {
        if (commandLine.isEmpty()) throw new IllegalArgumentException("empty command line");
        return of(commandLine.getFirst()).args(commandLine.subList(1, commandLine.size()));
    }

    /** The same with these arguments (replacing any earlier ones; {@code argv[1..]}). */
    public ProcessSpec args(String... args) {
        return args(Arrays.asList(Objects.requireNonNull(args, "args")));
    }

    /** The same with these arguments (replacing any earlier ones; {@code argv[1..]}). */
    public ProcessSpec args(List<String> args) {
        List<String> copy = new ArrayList<>(args.size());
        for (String a : args) copy.add(checkText("argument", Objects.requireNonNull(a, "argument")));
        return new ProcessSpec(command, copy, directory, envMode, envBase, envNames, envSet, stdin, stdout, stderr,
                preserved, newSession, newProcessGroup, jail);
    }

    /** The same, run in {@code dir} (the child {@code chdir}s there before exec). */
    public ProcessSpec directory(Path dir) {
        checkText("directory", Objects.requireNonNull(dir, "dir").toString());
        return new ProcessSpec(command, args, dir, envMode, envBase, envNames, envSet, stdin, stdout, stderr,
                preserved, newSession, newProcessGroup, jail);
    }

    /**
     * The same with this JVM's environment (the default), dropping any earlier
     * {@link #environment(Map)} or {@link #inheritEnvironmentOnly}; {@link #env} settings stay.
     * Without {@code env} settings the C library's current {@code environ} is passed unchanged;
     * with them, {@link System#getenv()} plus the settings.
     */
    public ProcessSpec inheritEnvironment() {
        return new ProcessSpec(command, args, directory, EnvMode.INHERIT, Map.of(), Set.of(), envSet, stdin, stdout,
                stderr, preserved, newSession, newProcessGroup, jail);
    }

    /** The same with only these variables of this JVM's environment ({@link System#getenv()}), plus {@link #env} settings. */
    public ProcessSpec inheritEnvironmentOnly(Collection<String> names) {
        Set<String> copy = new TreeSet<>();
        for (String n : names) copy.add(checkEnvName(n));
        return new ProcessSpec(command, args, directory, EnvMode.INHERIT_ONLY, Map.of(), copy, envSet, stdin, stdout,
                stderr, preserved, newSession, newProcessGroup, jail);
    }

    /** The same with exactly this environment (plus later {@link #env} settings); nothing is inherited. */
    public ProcessSpec environment(Map<String, String> variables) {
        Map<String, String> copy = new TreeMap<>();
        variables.forEach((k, v) -> copy.put(checkEnvName(k), checkText("environment value of " + k, v)));
        return new ProcessSpec(command, args, directory, EnvMode.EXPLICIT, copy, Set.of(), envSet, stdin, stdout,
                stderr, preserved, newSession, newProcessGroup, jail);
    }

    /** The same with one variable set (on top of the inherited or given environment). */
    public ProcessSpec env(String name, String value) {
        Map<String, String> copy = new TreeMap<>(envSet);
        copy.put(checkEnvName(name), checkText("environment value of " + name, Objects.requireNonNull(value, "value")));
        return new ProcessSpec(command, args, directory, envMode, envBase, envNames, copy, stdin, stdout, stderr,
                preserved, newSession, newProcessGroup, jail);
    }

    /** The same with stdin redirected: INHERIT, DISCARD, PIPE or {@link Redirect#from(Path)}. */
    public ProcessSpec stdin(Redirect r) {
        return new ProcessSpec(command, args, directory, envMode, envBase, envNames, envSet, checkRedirect(r, 0),
                stdout, stderr, preserved, newSession, newProcessGroup, jail);
    }

    /** The same with stdout redirected: INHERIT, DISCARD, PIPE, {@link Redirect#to} or {@link Redirect#appendTo}. */
    public ProcessSpec stdout(Redirect r) {
        return new ProcessSpec(command, args, directory, envMode, envBase, envNames, envSet, stdin, checkRedirect(r, 1),
                stderr, preserved, newSession, newProcessGroup, jail);
    }

    /** The same with stderr redirected: as stdout, or {@link Redirect#TO_STDOUT}. */
    public ProcessSpec stderr(Redirect r) {
        return new ProcessSpec(command, args, directory, envMode, envBase, envNames, envSet, stdin, stdout,
                checkRedirect(r, 2), preserved, newSession, newProcessGroup, jail);
    }

    /**
     * The same, passing this JVM's descriptor {@code parentFd} to the child as {@code childFd}
     * (a later call for the same {@code childFd} replaces the earlier one). The number is raw:
     * the caller keeps owning it, and it must still be open when {@link #spawn()} runs, which
     * otherwise fails naming it. The child gets its own copy without close-on-exec.
     *
     * @throws IllegalArgumentException if either number is negative, or {@code childFd} is 0, 1
     *     or 2 (use {@link #stdin}, {@link #stdout}, {@link #stderr})
     */
    public ProcessSpec preserveFd(int parentFd, int childFd) {
        if (parentFd < 0) throw new IllegalArgumentException("negative parent fd: " + parentFd);
        if (childFd < 0) throw new IllegalArgumentException("negative child fd: " + childFd);
        if (childFd <= 2) {
            throw new IllegalArgumentException("child fd " + childFd + " is a standard stream; use stdin/stdout/stderr");
        }
        Map<Integer, Integer> copy = new TreeMap<>(preserved);
        copy.put(childFd, parentFd);
        return new ProcessSpec(command, args, directory, envMode, envBase, envNames, envSet, stdin, stdout, stderr,
                copy, newSession, newProcessGroup, jail);
    }

    /** The same, started in a new session ({@code setsid}): it leads a new session and process group, without a terminal. */
    public ProcessSpec newSession() {
        return new ProcessSpec(command, args, directory, envMode, envBase, envNames, envSet, stdin, stdout, stderr,
                preserved, true, newProcessGroup, jail);
    }

    /** The same, started as the leader of a new process group ({@code setpgid(0, 0)}) in this session. */
    public ProcessSpec newProcessGroup() {
        return new ProcessSpec(command, args, directory, envMode, envBase, envNames, envSet, stdin, stdout, stderr,
                preserved, newSession, true, jail);
    }

    /**
     * The same, jailed: resource limits, credentials, no_new_privs, cgroup and namespaces as
     * {@code jail} says, all in force before the program's first instruction (see
     * {@link JailSpec}). Spawning fails with a {@link SpawnException} naming the missing
     * capability when this host cannot honour the jail; it is never silently weaker.
     */
    public ProcessSpec jail(JailSpec jail) {
        return new ProcessSpec(command, args, directory, envMode, envBase, envNames, envSet, stdin, stdout, stderr,
                preserved, newSession, newProcessGroup, Objects.requireNonNull(jail, "jail"));
    }

    /** The jail, if any. */
    public Optional<JailSpec> jailSpec() {
        return Optional.ofNullable(jail);
    }

    /**
     * Starts the process, watched by {@link ProcessMonitor#shared()}.
     *
     * @throws SpawnException if it cannot be started (the message names the program, the
     *     directory and the errno); nothing is left behind: no descriptor, thread or zombie
     * @throws IllegalStateException if {@value FdCloseMechanism#PROPERTY} names an unusable mechanism
     */
    public ChildProcess spawn() throws SpawnException {
        return spawn(ProcessMonitor.shared());
    }

    /**
     * Starts the process, watched (and reaped) by {@code monitor}.
     *
     * @throws SpawnException as {@link #spawn()}
     * @throws IllegalStateException if the monitor is closed, or as {@link #spawn()}
     */
    public ChildProcess spawn(ProcessMonitor monitor) throws SpawnException {
        return ProcessLauncher.launch(this, Objects.requireNonNull(monitor, "monitor"));
    }

    /**
     * Which {@link FdCloseMechanism} closes inherited descriptors in children spawned by this JVM
     * (chosen once, see {@link FdCloseMechanism}).
     *
     * @throws IllegalStateException if {@value FdCloseMechanism#PROPERTY} names an unknown or unusable mechanism
     */
    public static FdCloseMechanism fdCloseMechanism() {
        return FdCloser.mechanism();
    }

    /** The command as given. */
    public String command() {
        return command;
    }

    /** The arguments after the command. */
    public List<String> args() {
        return args;
    }

    /** The working directory; empty means this JVM's. */
    public Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    /** Where stdin comes from. */
    public Redirect stdin() {
        return stdin;
    }

    /** Where stdout goes. */
    public Redirect stdout() {
        return stdout;
    }

    /** Where stderr goes. */
    public Redirect stderr() {
        return stderr;
    }

    /** Preserved descriptors: child number to this JVM's number, sorted by child number. */
    public Map<Integer, Integer> preservedFds() {
        return preserved;
    }

    /** True if the child starts a new session. */
    public boolean isNewSession() {
        return newSession;
    }

    /** True if the child leads a new process group (also true for a new session). */
    public boolean isNewProcessGroup() {
        return newProcessGroup || newSession;
    }

    /** {@code "NAME=value"} entries for the child, or null to pass this process's {@code environ} unchanged. */
    List<String> environmentEntries() {
        if (envMode == EnvMode.INHERIT && envSet.isEmpty()) return null;
        Map<String, String> env = new TreeMap<>();
        switch (envMode) {
            case INHERIT -> env.putAll(System.getenv());
            case INHERIT_ONLY -> envNames.forEach(n -> {
                String v = System.getenv(n);
                if (v != null) env.put(n, v);
            });
            case EXPLICIT -> env.putAll(envBase);
        }
        env.putAll(envSet);
        List<String> entries = new ArrayList<>(env.size());
        env.forEach((k, v) -> entries.add(k + "=" + v));
        return entries;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProcessSpec s && s.command.equals(command) && s.args.equals(args)
                && Objects.equals(s.directory, directory) && s.envMode == envMode && s.envBase.equals(envBase)
                && s.envNames.equals(envNames) && s.envSet.equals(envSet) && s.stdin.equals(stdin)
                && s.stdout.equals(stdout) && s.stderr.equals(stderr) && s.preserved.equals(preserved)
                && s.newSession == newSession && s.newProcessGroup == newProcessGroup && Objects.equals(s.jail, jail);
    }

    @Override
    public int hashCode() {
        return Objects.hash(command, args, directory, envMode, envBase, envNames, envSet, stdin, stdout, stderr,
                preserved, newSession, newProcessGroup, jail);
    }

    /** A readable summary; environment values are not shown (they may hold secrets). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("ProcessSpec[").append(command);
        args.forEach(a -> b.append(' ').append(a));
        if (directory != null) b.append(", directory ").append(directory);
        b.append(", env ").append(envMode.name().toLowerCase(java.util.Locale.ROOT));
        if (envMode == EnvMode.INHERIT_ONLY) b.append(' ').append(envNames);
        if (!envSet.isEmpty()) b.append(" + ").append(envSet.keySet());
        b.append(", stdin ").append(stdin).append(", stdout ").append(stdout).append(", stderr ").append(stderr);
        if (!preserved.isEmpty()) b.append(", fds ").append(preserved);
        if (newSession) b.append(", new session");
        else if (newProcessGroup) b.append(", new process group");
        if (jail != null) b.append(", jailed");
        return b.append(']').toString();
    }

    private static String checkText(String what, String s) {
        Objects.requireNonNull(s, what);
        int nul = s.indexOf('\0');
        if (nul >= 0) {
            throw new IllegalArgumentException(what + " contains NUL at index " + nul + ": \"" + s.replace("\0", "\\0") + "\"");
        }
        return s;
    }

    private static String checkEnvName(String name) {
        checkText("environment name", Objects.requireNonNull(name, "environment name"));
        if (name.isEmpty()) throw new IllegalArgumentException("empty environment variable name");
        if (name.indexOf('=') >= 0) {
            throw new IllegalArgumentException("environment variable name contains '=': \"" + name + "\"");
        }
        return name;
    }

    private static Redirect checkRedirect(Redirect r, int fd) {
        Objects.requireNonNull(r, "redirect");
        if (!r.fits(fd)) {
            throw new IllegalArgumentException(r + " cannot be used for " + new String[] {"stdin", "stdout", "stderr"}[fd]);
        }
        return r;
    }

    private static Map<String, String> unmodifiableSorted(Map<String, String> m) {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
