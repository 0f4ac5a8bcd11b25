package io.procwarden;

import io.procwarden.internal.io.BytesPublisher;
import io.procwarden.internal.jail.JailPlan;
import io.procwarden.internal.launch.Checks;
import io.procwarden.internal.launch.Launched;
import io.procwarden.internal.launch.Launcher;
import io.procwarden.internal.launch.PtyPlan;
import io.procwarden.internal.launch.SpawnPlan;
import io.procwarden.internal.spawn.FdCloser;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.CompletableFuture;

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
    /**
     * Every setting, in one record: the compiler checks that each {@code with} below passes
     * every field, and {@code equals}/{@code hashCode} cover all of them. Each component has a
     * type of its own, so a value cannot land in the wrong field either.
     */
    private record Settings(String command, List<String> args, Path directory, Environment environment,
            Stdio stdio, Map<Integer, Integer> preserved, Grouping grouping, JailSpec jail, boolean tree, Pty pty) {
        Settings {
            args = List.copyOf(args);
            preserved = java.util.Collections.unmodifiableMap(new TreeMap<>(preserved));
        }

        Settings withArgs(List<String> a) {
            return new Settings(command, a, directory, environment, stdio, preserved, grouping, jail, tree, pty);
        }

        Settings withDirectory(Path d) {
            return new Settings(command, args, d, environment, stdio, preserved, grouping, jail, tree, pty);
        }

        Settings withEnvironment(Environment e) {
            return new Settings(command, args, directory, e, stdio, preserved, grouping, jail, tree, pty);
        }

        Settings withStdio(Stdio io) {
            return new Settings(command, args, directory, environment, io, preserved, grouping, jail, tree, pty);
        }

        Settings withPreserved(Map<Integer, Integer> p) {
            return new Settings(command, args, directory, environment, stdio, p, grouping, jail, tree, pty);
        }

        Settings withGrouping(Grouping g) {
            return new Settings(command, args, directory, environment, stdio, preserved, g, jail, tree, pty);
        }

        Settings withPty(Pty p) {
            return new Settings(command, args, directory, environment, stdio, preserved, grouping, jail, tree, p);
        }

        Settings withJail(JailSpec j) {
            return new Settings(command, args, directory, environment, stdio, preserved, grouping, j, tree, pty);
        }

        Settings withTree(boolean t) {
            return new Settings(command, args, directory, environment, stdio, preserved, grouping, jail, t, pty);
        }
    }

    /**
     * Where the child's environment starts from. {@link Inherit} is "unset": this JVM's, passed
     * through unchanged; {@link Exactly} with no variables is "cleared": the child gets none.
     */
    private sealed interface Base permits Inherit, InheritOnly, Exactly {}

    private record Inherit() implements Base {}

    private record InheritOnly(Set<String> names) implements Base {
        InheritOnly {
            names = java.util.Collections.unmodifiableSet(new TreeSet<>(names));
        }
    }

    private record Exactly(Map<String, String> variables) implements Base {
        Exactly {
            variables = sorted(variables);
        }
    }

    /** The base plus the variables {@link #env} sets on top of it. */
    private record Environment(Base base, Map<String, String> set) {
        static final Environment INHERIT = new Environment(new Inherit(), Map.of());

        Environment {
            set = sorted(set);
        }
    }

    /** {@code input}: bytes fed to a piped stdin at spawn, or null. */
    private record Stdio(Redirect in, Redirect out, Redirect err, Input input) {
        static final Stdio INHERIT = new Stdio(Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT, null);

        Stdio(Redirect in, Redirect out, Redirect err) {
            this(in, out, err, null);
        }
    }

    /** Bytes for stdin, compared by content. */
    private record Input(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Input i && Arrays.equals(i.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /** A pseudo-terminal for stdin and stdout, and for stderr too unless {@code stderrToo} is false. */
    private record Pty(TerminalSize size, boolean stderrToo) {}

    /** A new session implies a new process group; asking for a group in a new session changes nothing. */
    private enum Grouping { INHERIT, PROCESS_GROUP, FOREGROUND_JOB, SESSION }

    private final Settings s;

    private ProcessSpec(Settings s) {
        this.s = s;
    }

    /** A spec for {@code command} with {@code args}; everything else at its default. */
    public static ProcessSpec of(String command, String... args) {
        Checks.text("command", Objects.requireNonNull(command, "command"));
        if (command.isEmpty()) throw new IllegalArgumentException("empty command");
        return new ProcessSpec(new Settings(command, List.of(), null, Environment.INHERIT, Stdio.INHERIT, Map.of(),
                Grouping.INHERIT, null, false, null)).args(args);
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
        for (String a : args) copy.add(Checks.text("argument", Objects.requireNonNull(a, "argument")));
        return new ProcessSpec(s.withArgs(copy));
    }

    /** The same, run in {@code dir} (the child {@code chdir}s there before exec). */
    public ProcessSpec directory(Path dir) {
        return new ProcessSpec(s.withDirectory(Checks.path("directory", Objects.requireNonNull(dir, "dir"))));
    }

    /**
     * The same with this JVM's environment (the default), dropping any earlier
     * {@link #environment(Map)} or {@link #inheritEnvironmentOnly}; {@link #env} settings stay.
     * Without {@code env} settings the C library's current {@code environ} is passed unchanged;
     * with them, {@link System#getenv()} plus the settings.
     */
    public ProcessSpec inheritEnvironment() {
        return new ProcessSpec(s.withEnvironment(new Environment(new Inherit(), s.environment().set())));
    }

    /**
     * The same with only these variables of this JVM's environment ({@link System#getenv()}), plus
     * {@link #env} settings. No names: nothing is inherited.
     */
    public ProcessSpec inheritEnvironmentOnly(Collection<String> names) {
        Set<String> copy = new TreeSet<>();
        for (String n : names) copy.add(Checks.environmentName(n));
        return new ProcessSpec(s.withEnvironment(new Environment(new InheritOnly(copy), s.environment().set())));
    }

    /**
     * The same with exactly this environment (plus later {@link #env} settings); nothing is
     * inherited. An empty map clears the environment: the child starts with no variables, which
     * is not the same as {@link #inheritEnvironment()} (the default).
     */
    public ProcessSpec environment(Map<String, String> variables) {
        Map<String, String> copy = new TreeMap<>();
        variables.forEach((k, v) -> copy.put(Checks.environmentName(k), Checks.text("environment value of " + k, v)));
        return new ProcessSpec(s.withEnvironment(new Environment(new Exactly(copy), s.environment().set())));
    }

    /** The same with one variable set (on top of the inherited or given environment). */
    public ProcessSpec env(String name, String value) {
        Map<String, String> copy = new TreeMap<>(s.environment().set());
        copy.put(Checks.environmentName(name),
                Checks.text("environment value of " + name, Objects.requireNonNull(value, "value")));
        return new ProcessSpec(s.withEnvironment(new Environment(s.environment().base(), copy)));
    }

    /** The same with stdin redirected: INHERIT, DISCARD, PIPE or {@link Redirect#from(Path)}. */
    public ProcessSpec stdin(Redirect r) {
        Stdio io = s.stdio();
        return new ProcessSpec(s.withStdio(new Stdio(checkRedirect(r, 0), io.out(), io.err())));
    }

    /** The same with stdout redirected: INHERIT, DISCARD, PIPE, {@link Redirect#to} or {@link Redirect#appendTo}. */
    public ProcessSpec stdout(Redirect r) {
        Stdio io = s.stdio();
        return new ProcessSpec(s.withStdio(new Stdio(io.in(), checkRedirect(r, 1), io.err(), io.input())));
    }

    /** The same with stderr redirected: as stdout, or {@link Redirect#TO_STDOUT}. */
    public ProcessSpec stderr(Redirect r) {
        Stdio io = s.stdio();
        return new ProcessSpec(s.withStdio(new Stdio(io.in(), io.out(), checkRedirect(r, 2), io.input())));
    }

    /**
     * The same with these bytes as stdin: stdin becomes a {@link Redirect#PIPE} that the monitor
     * thread writes as the child reads, then closes (the child sees end of file). A child that
     * exits or closes its stdin before reading it all is not an error. A later
     * {@link #stdin(Redirect)} replaces it.
     */
    public ProcessSpec input(byte[] bytes) {
        Stdio io = s.stdio();
        return new ProcessSpec(s.withStdio(new Stdio(Redirect.PIPE, io.out(), io.err(),
                new Input(Objects.requireNonNull(bytes, "bytes").clone()))));
    }

    /** {@link #input(byte[])} with {@code text} encoded as UTF-8. */
    public ProcessSpec input(String text) {
        return input(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Spawns, collects and closes: {@link ChildProcess#collect(long)} on a child whose stdout and
     * stderr, where left at {@link Redirect#INHERIT}, are piped. The output as a String is then
     * {@code collect(cap).join().stdoutText()}; with an exit check,
     * {@code collect(cap).thenApply(ProcessOutput::requireExitValue)}.
     *
     * @param maxBytesPerStream the cap on what is kept of each stream (the rest is read and dropped)
     * @throws SpawnException as {@link #spawn()}
     */
    public CompletableFuture<ProcessOutput> collect(long maxBytesPerStream) throws SpawnException {
        ProcessSpec piped = this;
        if (stdout().kind() == Redirect.Kind.INHERIT) piped = piped.stdout(Redirect.PIPE);
        if (stderr().kind() == Redirect.Kind.INHERIT) piped = piped.stderr(Redirect.PIPE);
        ChildProcess child = piped.spawn();
        return child.collect(maxBytesPerStream).whenComplete((o, t) -> child.close());
    }

    /** {@link #collect(long)} with a cap of {@value ProcessOutput#DEFAULT_MAX_BYTES} bytes per stream. */
    public CompletableFuture<ProcessOutput> collect() throws SpawnException {
        return collect(ProcessOutput.DEFAULT_MAX_BYTES);
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
        Map<Integer, Integer> copy = new TreeMap<>(s.preserved());
        copy.put(childFd, parentFd);
        return new ProcessSpec(s.withPreserved(copy));
    }

    /** The same, started in a new session ({@code setsid}): it leads a new session and process group, without a terminal. */
    public ProcessSpec newSession() {
        return new ProcessSpec(s.withGrouping(Grouping.SESSION));
    }

    /** The same, started as the leader of a new process group ({@code setpgid(0, 0)}) in this session. */
    public ProcessSpec newProcessGroup() {
        return s.grouping() == Grouping.SESSION || s.grouping() == Grouping.FOREGROUND_JOB ? this
                : new ProcessSpec(s.withGrouping(Grouping.PROCESS_GROUP));
    }

    /**
     * The same, started as the foreground job of this JVM's controlling terminal, as a shell with
     * job control starts a command: the child leads a new process group in this session, and that
     * group is the terminal's foreground group before the child's first instruction, so it can
     * read the terminal, and the terminal's Ctrl-C and Ctrl-Z reach it (and not this JVM). When the
     * child ends, this JVM's group is the foreground job again and the terminal has the settings
     * it had at the spawn (a program that crashed in raw mode leaves none behind). Replaces
     * {@link #newSession()} (a new session has no terminal); not with a {@link #pty}.
     *
     * <p>{@link #spawn()} fails if this JVM has no controlling terminal or is not its foreground
     * job itself (a job in the background would take the terminal from whoever has it), and on a
     * C library without {@code posix_spawn_file_actions_addtcsetpgrp_np} (glibc before 2.35, macOS).
     * A child stopped by Ctrl-Z keeps the terminal: taking it back then is the caller's part.
     */
    public ProcessSpec foregroundJob() {
        if (s.pty() != null) throw new IllegalStateException("a child on its own pty cannot be this terminal's foreground job");
        return new ProcessSpec(s.withGrouping(Grouping.FOREGROUND_JOB));
    }

    /** True if the child is started as the foreground job of this JVM's terminal ({@link #foregroundJob()}). */
    public boolean isForegroundJob() {
        return s.grouping() == Grouping.FOREGROUND_JOB;
    }

    /**
     * The same, on a new pseudo-terminal of this size: the child's stdin, stdout and stderr are
     * its slave, which is also the child's controlling terminal (the child leads a new session
     * and is the terminal's foreground process group, so {@code isatty}, line editing, Ctrl-C and
     * job control work as in a terminal emulator). The stdin and stdout redirects are then
     * unused; {@link ChildProcess#stdin()}, {@link ChildProcess#stdout()} and their channels,
     * publishers and {@link ChildProcess#collect()} are the master side, served by the monitor
     * loop like pipes. Implies {@link #newSession()}. Works with a {@link #jail} and {@link #containTree()} too.
     */
    public ProcessSpec pty(TerminalSize size) {
        return pty(size, true);
    }

    /**
     * As {@link #pty(TerminalSize)}; with {@code stderrToo} false, stderr is not the terminal but
     * goes where {@link #stderr(Redirect)} says (a separate {@link Redirect#PIPE}, a file, ...;
     * {@link Redirect#TO_STDOUT} means the terminal).
     */
    public ProcessSpec pty(TerminalSize size, boolean stderrToo) {
        Objects.requireNonNull(size, "size");
        return new ProcessSpec(s.withPty(new Pty(size, stderrToo)).withGrouping(Grouping.SESSION));
    }

    /** The pseudo-terminal's initial size, if the child gets one. */
    public Optional<TerminalSize> ptySize() {
        return s.pty() == null ? Optional.empty() : Optional.of(s.pty().size());
    }

    /** True if the child gets a pseudo-terminal and its stderr is on it too. */
    public boolean isStderrOnPty() {
        return s.pty() != null && (s.pty().stderrToo() || stderr().kind() == Redirect.Kind.TO_STDOUT);
    }

    /**
     * The same, jailed: resource limits, credentials, no_new_privs, cgroup and namespaces as
     * {@code jail} says, all in force before the program's first instruction (see
     * {@link JailSpec}). Spawning fails with a {@link SpawnException} naming the missing
     * capability when this host cannot honour the jail; it is never silently weaker.
     */
    public ProcessSpec jail(JailSpec jail) {
        return new ProcessSpec(s.withJail(Objects.requireNonNull(jail, "jail")));
    }

    /** The jail, if any. */
    public Optional<JailSpec> jailSpec() {
        return Optional.ofNullable(s.jail());
    }

    /**
     * The same, with its whole process tree contained: every process the child starts, and
     * theirs, however they detach (double fork, {@code setsid}), stays reachable, so that
     * {@link ChildProcess#killTree()} and {@link ChildProcess#terminateTree(java.time.Duration)} (and
     * {@code kill()}, {@code terminate()}) reach all of them, and whatever is left when the child
     * ends is killed before its exit is reported: nothing it started outlives it.
     *
     * <p>The mechanism is the first of a ladder this host offers ({@link TreeMechanism}): a cgroup
     * v2 leaf, a cgroup v1 with the freezer, or this JVM as child subreaper (opt-in,
     * {@link TreeMechanism#allowSubreaper()}). The child is in it before its first instruction
     * (it starts as the jail's parked stub, with or without a {@link #jail(JailSpec) jail}).
     * Spawning fails with a {@link SpawnException} naming what is missing when no rung is
     * available. Linux only.
     */
    public ProcessSpec containTree() {
        return new ProcessSpec(s.withTree(true));
    }

    /** True if the child's whole process tree is contained ({@link #containTree()}). */
    public boolean isTreeContained() {
        return s.tree();
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
        Objects.requireNonNull(monitor, "monitor");
        ChildProcess.Exit exit = new ChildProcess.Exit();
        Launched launched = Launcher.launch(toPlan(), monitor.loop(), exit);
        return feedInput(new ChildProcess(this, monitor.loop(), launched, exit));
    }

    /** Starts writing the {@link #input(byte[])} bytes, if any, to a child spawned from this spec. */
    ChildProcess feedInput(ChildProcess child) {
        Input in = s.stdio().input();
        if (in != null) {
            // EPIPE (the child did not read it all) is the child's choice, not a failure of ours.
            child.stdinFrom(new BytesPublisher(in.bytes()));
        }
        return child;
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
        return s.command();
    }

    /** The arguments after the command. */
    public List<String> args() {
        return s.args();
    }

    /** The working directory; empty means this JVM's. */
    public Optional<Path> directory() {
        return Optional.ofNullable(s.directory());
    }

    /** Where stdin comes from. */
    public Redirect stdin() {
        return s.stdio().in();
    }

    /** Where stdout goes. */
    public Redirect stdout() {
        return s.stdio().out();
    }

    /** Where stderr goes. */
    public Redirect stderr() {
        return s.stdio().err();
    }

    /** Preserved descriptors: child number to this JVM's number, sorted by child number. */
    public Map<Integer, Integer> preservedFds() {
        return s.preserved();
    }

    /** True if the child starts a new session. */
    public boolean isNewSession() {
        return s.grouping() == Grouping.SESSION;
    }

    /** True if the child leads a new process group (also true for a new session). */
    public boolean isNewProcessGroup() {
        return s.grouping() != Grouping.INHERIT;
    }

    /**
     * The plan the launcher runs, resolved now: argv, the environment from this JVM's as it is at
     * this moment, and the jail's own plan.
     */
    SpawnPlan toPlan() {
        List<String> argv = new ArrayList<>(s.args().size() + 1);
        argv.add(s.command());
        argv.addAll(s.args());
        return new SpawnPlan(s.command(), argv, environmentEntries(), s.directory(), stdin(), stdout(), stderr(),
                s.preserved(), isNewSession(), isNewProcessGroup(), jailPlan(),
                s.pty() == null ? null
                        : new PtyPlan(s.pty().size().rows(), s.pty().size().columns(), isStderrOnPty()),
                isForegroundJob());
    }

    /** The jail's plan (the parked stub alone for a contained tree without a jail), or null. */
    private JailPlan jailPlan() {
        JailPlan plan = s.jail() == null ? (s.tree() ? JailPlan.NONE : null) : s.jail().toPlan();
        return s.tree() ? plan.withContainedTree() : plan;
    }

    /** {@code "NAME=value"} entries for the child, or null to pass this process's {@code environ} unchanged. */
    private List<String> environmentEntries() {
        Environment e = s.environment();
        if (e.base() instanceof Inherit && e.set().isEmpty()) return null;
        Map<String, String> env = new TreeMap<>();
        switch (e.base()) {
            case Inherit i -> env.putAll(System.getenv());
            case InheritOnly(Set<String> names) -> names.forEach(n -> {
                String v = System.getenv(n);
                if (v != null) env.put(n, v);
            });
            case Exactly(Map<String, String> variables) -> env.putAll(variables);
        }
        env.putAll(e.set());
        List<String> entries = new ArrayList<>(env.size());
        env.forEach((k, v) -> entries.add(k + "=" + v));
        return entries;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProcessSpec other && other.s.equals(s);
    }

    @Override
    public int hashCode() {
        return s.hashCode();
    }

    /** A readable summary; environment values are not shown (they may hold secrets). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("ProcessSpec[").append(s.command());
        s.args().forEach(a -> b.append(' ').append(a));
        if (s.directory() != null) b.append(", directory ").append(s.directory());
        b.append(", env ").append(switch (s.environment().base()) {
            case Inherit i -> "inherit";
            case InheritOnly(Set<String> names) -> "inherit_only " + names;
            case Exactly x -> "explicit";
        });
        if (!s.environment().set().isEmpty()) b.append(" + ").append(s.environment().set().keySet());
        b.append(", stdin ").append(stdin());
        if (s.stdio().input() != null) b.append(" (").append(s.stdio().input().bytes().length).append(" bytes given)");
        b.append(", stdout ").append(stdout()).append(", stderr ").append(stderr());
        if (!s.preserved().isEmpty()) b.append(", fds ").append(s.preserved());
        switch (s.grouping()) {
            case SESSION -> b.append(", new session");
            case PROCESS_GROUP -> b.append(", new process group");
            case FOREGROUND_JOB -> b.append(", foreground job");
            case INHERIT -> { }
        }
        if (s.pty() != null) b.append(", pty ").append(s.pty().size()).append(isStderrOnPty() ? "" : " (stderr apart)");
        if (s.jail() != null) b.append(", jailed");
        if (s.tree()) b.append(", tree contained");
        return b.append(']').toString();
    }

    private static Redirect checkRedirect(Redirect r, int fd) {
        Objects.requireNonNull(r, "redirect");
        if (!r.fits(fd)) {
            throw new IllegalArgumentException(r + " cannot be used for " + new String[] {"stdin", "stdout", "stderr"}[fd]);
        }
        return r;
    }

    private static Map<String, String> sorted(Map<String, String> m) {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
