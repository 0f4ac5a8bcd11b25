package io.procwarden;

import io.procwarden.internal.jail.JailHost;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Limits and isolation for a child process: an immutable value built fluently; every method that
 * changes something returns a new spec and leaves this one unchanged.
 * {@snippet :
 * JailSpec jail = JailSpec.none()
 *         .limit(JailSpec.Resource.NOFILE, 256)
 *         .limit(JailSpec.Resource.CPU, 10, 12)   // SIGXCPU after 10 s of CPU, SIGKILL at 12
 *         .memoryMax(512L << 20)
 *         .pidsMax(64)
 *         .noNewPrivileges()
 *         .namespaces(JailSpec.Namespace.PID, JailSpec.Namespace.NET)
 *         .filesystem(JailSpec.FilesystemView.HOST_READ_ONLY)
 *         .tmpfs(Path.of("/tmp"));
 * }
 *
 * <h2>The guarantee</h2>
 * The target program never runs an instruction outside the spec: resource limits, cgroup
 * placement, credentials, {@code no_new_privs}, the parent-death signal, umask and environment all
 * apply before the target's {@code execve}. On Linux the child starts as a parked {@code /bin/sh}
 * stub; while it waits for a go byte the parent sets its limits with {@code prlimit(2)} and puts
 * it in its cgroup; then it execs {@code setpriv} (util-linux; credentials, no_new_privs,
 * parent-death signal) and {@code bwrap} (bubblewrap; namespaces and file system view) as needed,
 * and finally the target. A spec this host cannot honour fails at spawn time (or earlier, with
 * {@link #checkSupported()}) with a {@link JailUnavailableException} naming what is missing.
 *
 * <h2>What needs what</h2>
 * <ul>
 *   <li>Resource limits: nothing (raising a hard limit above this JVM's needs CAP_SYS_RESOURCE).
 *   <li>{@link #user}, {@link #supplementaryGroups}: root (CAP_SETUID, CAP_SETGID); no_new_privs
 *       and the parent-death signal: util-linux {@code setpriv} 2.33+.
 *   <li>cgroup limits and {@link #ownCgroup()}: write access to a cgroup hierarchy (v2, or the v1
 *       controllers {@code memory}, {@code cpu}, {@code pids}) and, for limits, the controller.
 *   <li>{@link #namespaces}, {@link #filesystem}, {@link #readOnlyBind}, {@link #tmpfs},
 *       {@link #dieWithParent()}: bubblewrap. In a PID namespace bwrap stays the parent of the
 *       target and reports a target killed by signal N as exit code 128+N.
 * </ul>
 * Parameters must be non-null ({@link NullPointerException}); values that can never work are
 * rejected when set ({@link IllegalArgumentException} naming them). Thread-safe: immutable.
 */
public final class JailSpec {
    /** A resource limited with {@code setrlimit} semantics (the child's own limit, inherited by its children). */
    public enum Resource {
        /** CPU seconds: SIGXCPU at the soft limit (then every second), SIGKILL at the hard one. */
        CPU,
        /** Largest file the process may create or extend, in bytes (SIGXFSZ beyond). */
        FSIZE,
        /** Stack size in bytes (takes effect at exec). */
        STACK,
        /** Largest core dump in bytes (0: none). */
        CORE,
        /** Processes of the child's real user id, system-wide (root is exempt). */
        NPROC,
        /** One more than the highest descriptor number the process may open (EMFILE beyond). */
        NOFILE,
        /** Address space in bytes (allocations fail with ENOMEM beyond). */
        AS
    }

    /**
     * A soft and a hard limit, {@code 0 <= soft <= hard}; {@link #UNLIMITED} for none.
     *
     * @param soft the limit the kernel enforces
     * @param hard the ceiling up to which the process may raise its soft limit
     */
    public record Limit(long soft, long hard) {
        /** No limit ({@code RLIM_INFINITY}). */
        public static final long UNLIMITED = Long.MAX_VALUE;

        /** Validates the values. */
        public Limit {
            if (soft < 0 || hard < 0 || soft > hard) {
                throw new IllegalArgumentException("need 0 <= soft <= hard, got soft " + soft + ", hard " + hard);
            }
        }
    }

    /** Linux namespaces that bubblewrap can give the child. */
    public enum Namespace {
        /** A user namespace (bwrap maps the child's uid and gid to themselves). */
        USER,
        /** A PID namespace: the child sees only its own descendants and a fresh {@code /proc}. */
        PID,
        /** System V IPC and POSIX message queues of its own. */
        IPC,
        /** Host and domain name of its own. */
        UTS,
        /** A network namespace with only a loopback interface, which is down. */
        NET
    }

    /** The file system the child sees when bubblewrap is used. */
    public enum FilesystemView {
        /** The host's tree, writable where the host allows; a minimal {@code /dev}. */
        HOST,
        /** The host's tree, read-only; a minimal {@code /dev}; add {@link #tmpfs} for scratch space. */
        HOST_READ_ONLY,
        /** Nothing but a minimal {@code /dev} and what {@link #readOnlyBind}/{@link #tmpfs} add. */
        EMPTY
    }

    /**
     * A host path made visible, read-only, at a path inside the sandbox.
     *
     * @param source the absolute host path
     * @param destination the absolute path in the sandbox
     */
    public record Bind(Path source, Path destination) {
        /** Validates the paths. */
        public Bind {
            checkAbsolute("bind source", source);
            checkAbsolute("bind destination", destination);
        }
    }

    private final JailSpecState s;

    private JailSpec(JailSpecState s) {
        this.s = s;
    }

    private JailSpec with(Consumer<JailSpecState> change) {
        JailSpecState copy = s.copy();
        change.accept(copy);
        return new JailSpec(copy);
    }

    /** A spec that restricts nothing; start here and add what you need. */
    public static JailSpec none() {
        return new JailSpec(new JailSpecState());
    }

    /**
     * For trusted programs during development; needs only {@code setpriv}, no root:
     * {@code no_new_privs} and SIGKILL when this JVM dies.
     */
    public static JailSpec development() {
        return none().noNewPrivileges().parentDeathSignal(Signal.KILL);
    }

    /**
     * For programs that may misbehave; needs {@code setpriv} and bubblewrap, no root (with
     * unprivileged user namespaces): {@link #development()} plus no core dumps, at most 1024
     * descriptors, files up to 1 GiB, umask 077, an environment of PATH, HOME, USER, LOGNAME, LANG,
     * LC_ALL, TERM, TZ and TMPDIR only, and PID, IPC and UTS namespaces, dying with the JVM.
     */
    public static JailSpec standard() {
        return development()
                .limit(Resource.CORE, 0)
                .limit(Resource.NOFILE, 1024)
                .limit(Resource.FSIZE, 1L << 30)
                .umask(0077)
                .environmentAllowlist("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TERM", "TZ", "TMPDIR")
                .namespaces(Namespace.PID, Namespace.IPC, Namespace.UTS)
                .dieWithParent();
    }

    /**
     * For untrusted code; needs root, bubblewrap and the cgroup controllers memory, cpu and pids:
     * {@link #standard()} plus user and network namespaces, a read-only host file system with a
     * fresh tmpfs on {@code /tmp}, uid and gid 65534 (nobody/nogroup) without supplementary
     * groups, 256 descriptors, 4 GiB address space, 256 processes of that user, and a cgroup
     * of 1 GiB memory (no swap), one CPU and 256 tasks.
     */
    public static JailSpec maximum() {
        return standard()
                .namespaces(Namespace.USER, Namespace.PID, Namespace.IPC, Namespace.UTS, Namespace.NET)
                .filesystem(FilesystemView.HOST_READ_ONLY)
                .tmpfs(Path.of("/tmp"))
                .user(65534, 65534)
                .limit(Resource.NOFILE, 256)
                .limit(Resource.AS, 4L << 30)
                .limit(Resource.NPROC, 256)
                .memoryMax(1L << 30)
                .cpus(1.0)
                .pidsMax(256);
    }

    // ---- resource limits ----

    /** The same with soft and hard limit of {@code resource} set to {@code value}. */
    public JailSpec limit(Resource resource, long value) {
        return limit(resource, value, value);
    }

    /** The same with these soft and hard limits for {@code resource} ({@link Limit#UNLIMITED} for none). */
    public JailSpec limit(Resource resource, long soft, long hard) {
        Objects.requireNonNull(resource, "resource");
        Limit l = new Limit(soft, hard);
        return with(x -> x.limits.put(resource, l));
    }

    // ---- credentials and process attributes ----

    /** The same with {@code no_new_privs}: execve can never grant privileges (set-user-id bits, file capabilities are ignored). */
    public JailSpec noNewPrivileges() {
        return with(x -> x.noNewPrivileges = true);
    }

    /** The same, run as real and effective {@code uid} and {@code gid} (needs root); supplementary groups cleared unless {@link #supplementaryGroups} says otherwise. */
    public JailSpec user(int uid, int gid) {
        checkId("uid", uid);
        checkId("gid", gid);
        return with(x -> {
            x.uid = uid;
            x.gid = gid;
        });
    }

    /** The same with exactly these supplementary groups (needs root); none given: cleared. */
    public JailSpec supplementaryGroups(int... gids) {
        List<Integer> list = new ArrayList<>();
        for (int g : gids) list.add(checkId("supplementary gid", g));
        return with(x -> x.groups = List.copyOf(list));
    }

    /** The same with this file mode creation mask, 0 to 0777. */
    public JailSpec umask(int mask) {
        if (mask < 0 || mask > 0777) throw new IllegalArgumentException("umask out of range 0..0777: 0" + Integer.toOctalString(mask));
        return with(x -> x.umask = mask);
    }

    /**
     * The same with a parent-death signal: the child gets {@code signal} when the JVM dies. The
     * kernel sends it when the <em>thread</em> that spawned the child ends, so such children are
     * spawned from one procwarden thread that lives as long as the JVM.
     */
    public JailSpec parentDeathSignal(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        return with(x -> x.parentDeathSignal = signal);
    }

    // ---- cgroup ----

    /** The same in a cgroup of at most {@code bytes} of memory (and no swap); the OOM killer acts beyond. */
    public JailSpec memoryMax(long bytes) {
        if (bytes < 4096) throw new IllegalArgumentException("memory limit below one page: " + bytes);
        return with(x -> x.memoryMax = bytes);
    }

    /** The same in a cgroup that may use {@code quotaMicros} of CPU time per {@code periodMicros} (1 ms .. 1 s). */
    public JailSpec cpuQuota(long quotaMicros, long periodMicros) {
        if (periodMicros < 1000 || periodMicros > 1_000_000) {
            throw new IllegalArgumentException("cpu period out of range 1000..1000000 us: " + periodMicros);
        }
        if (quotaMicros < 1000) throw new IllegalArgumentException("cpu quota below 1000 us: " + quotaMicros);
        return with(x -> {
            x.cpuQuotaMicros = quotaMicros;
            x.cpuPeriodMicros = periodMicros;
        });
    }

    /** The same limited to {@code cpus} CPUs' worth of time (quota per 100 ms period), e.g. 0.5 or 2. */
    public JailSpec cpus(double cpus) {
        if (!(cpus >= 0.01) || cpus > 10_000) throw new IllegalArgumentException("cpus out of range 0.01..10000: " + cpus);
        return cpuQuota(Math.round(cpus * 100_000), 100_000);
    }

    /** The same in a cgroup of at most {@code max} tasks (processes and threads): fork fails with EAGAIN beyond. */
    public JailSpec pidsMax(long max) {
        if (max < 1) throw new IllegalArgumentException("pids limit below 1: " + max);
        return with(x -> x.pidsMax = max);
    }

    /**
     * The same in a cgroup of its own even without cgroup limits, so that the end of the child
     * kills every process it left behind (daemons, double forks) and its usage is accounted apart.
     */
    public JailSpec ownCgroup() {
        return with(x -> x.ownCgroup = true);
    }

    // ---- bubblewrap ----

    /** The same with these namespaces added. */
    public JailSpec namespaces(Namespace... namespaces) {
        List<Namespace> list = List.of(namespaces);
        return with(x -> x.namespaces.addAll(list));
    }

    /** The same with this file system view (default {@link FilesystemView#HOST} once bubblewrap is used). */
    public JailSpec filesystem(FilesystemView view) {
        Objects.requireNonNull(view, "view");
        return with(x -> x.view = view);
    }

    /** The same with host {@code path} visible read-only at the same path. */
    public JailSpec readOnlyBind(Path path) {
        return readOnlyBind(path, path);
    }

    /** The same with host {@code source} visible read-only at {@code destination}. */
    public JailSpec readOnlyBind(Path source, Path destination) {
        Bind b = new Bind(source, destination);
        return with(x -> x.readOnlyBinds = append(x.readOnlyBinds, b));
    }

    /** The same with an empty, private tmpfs mounted on {@code path}. */
    public JailSpec tmpfs(Path path) {
        checkAbsolute("tmpfs", path);
        return with(x -> x.tmpfs = append(x.tmpfs, path));
    }

    /** The same with bubblewrap's {@code --die-with-parent}: every sandbox process gets SIGKILL when the JVM dies. */
    public JailSpec dieWithParent() {
        return with(x -> x.dieWithParent = true);
    }

    /** The same using this bubblewrap executable (default: system property {@code procwarden.bwrap}, else {@code bwrap} on a standard path). */
    public JailSpec bubblewrap(Path executable) {
        checkAbsolute("bubblewrap executable", executable);
        return with(x -> x.bubblewrap = executable);
    }

    // ---- environment and pid file ----

    /**
     * The same keeping only these environment variables (applied last, to whatever environment
     * the process spec gives). With bubblewrap, {@code PWD} is always set too: bwrap sets it to
     * the working directory in the sandbox (which the child can learn from getcwd anyway).
     */
    public JailSpec environmentAllowlist(String... names) {
        return environmentAllowlist(List.of(names));
    }

    /** The same keeping only these environment variables. */
    public JailSpec environmentAllowlist(Collection<String> names) {
        Set<String> set = new TreeSet<>();
        for (String n : names) {
            if (n.isEmpty() || n.indexOf('=') >= 0 || n.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("not an environment variable name: \"" + n.replace("\0", "\\0") + "\"");
            }
            set.add(n);
        }
        Set<String> frozen = Collections.unmodifiableSet(set);
        return with(x -> x.envAllowlist = frozen);
    }

    /**
     * The same writing {@code "PID STARTTIME"} ({@link ProcessIdentity#toPidFileLine()}) to
     * {@code path} before the target runs (atomically: temporary file, then rename), so that
     * after a restart {@link ProcessMonitor#watch(ProcessIdentity)} can adopt the child. Deleted
     * when the child is seen to end.
     */
    public JailSpec pidFile(Path path) {
        checkText("pid file", Objects.requireNonNull(path, "path").toString());
        Path abs = path.toAbsolutePath();
        return with(x -> x.pidFile = abs);
    }

    // ---- host check ----

    /**
     * Checks now that this host can honour the spec (tools present, privileges, cgroup
     * controllers); spawning checks the same.
     *
     * @throws JailUnavailableException naming the first missing capability
     */
    public void checkSupported() throws JailUnavailableException {
        JailHost.check(this);
    }

    // ---- accessors ----

    /** The resource limits, by resource. */
    public Map<Resource, Limit> limits() {
        return Collections.unmodifiableMap(s.limits);
    }

    public boolean isNoNewPrivileges() {
        return s.noNewPrivileges;
    }

    public OptionalInt uid() {
        return s.uid == null ? OptionalInt.empty() : OptionalInt.of(s.uid);
    }

    public OptionalInt gid() {
        return s.gid == null ? OptionalInt.empty() : OptionalInt.of(s.gid);
    }

    public List<Integer> supplementaryGroups() {
        return s.groups;
    }

    public OptionalInt umask() {
        return s.umask == null ? OptionalInt.empty() : OptionalInt.of(s.umask);
    }

    public Optional<Signal> parentDeathSignal() {
        return Optional.ofNullable(s.parentDeathSignal);
    }

    public OptionalLong memoryMax() {
        return s.memoryMax == null ? OptionalLong.empty() : OptionalLong.of(s.memoryMax);
    }

    public OptionalLong cpuQuotaMicros() {
        return s.cpuQuotaMicros == null ? OptionalLong.empty() : OptionalLong.of(s.cpuQuotaMicros);
    }

    /** The CPU period, 100 ms unless {@link #cpuQuota} set another. */
    public long cpuPeriodMicros() {
        return s.cpuPeriodMicros;
    }

    public OptionalLong pidsMax() {
        return s.pidsMax == null ? OptionalLong.empty() : OptionalLong.of(s.pidsMax);
    }

    /** True when the child gets a cgroup of its own (any cgroup limit, or {@link #ownCgroup()}). */
    public boolean usesCgroup() {
        return s.ownCgroup || s.memoryMax != null || s.cpuQuotaMicros != null || s.pidsMax != null;
    }

    public Set<Namespace> namespaces() {
        return Collections.unmodifiableSet(s.namespaces);
    }

    /** The view; {@link FilesystemView#HOST} when bubblewrap is used without one; empty when it is not used. */
    public Optional<FilesystemView> filesystem() {
        return usesBubblewrap() ? Optional.of(s.view == null ? FilesystemView.HOST : s.view) : Optional.empty();
    }

    public List<Bind> readOnlyBinds() {
        return s.readOnlyBinds;
    }

    public List<Path> tmpfs() {
        return s.tmpfs;
    }

    public boolean isDieWithParent() {
        return s.dieWithParent;
    }

    public Optional<Path> bubblewrap() {
        return Optional.ofNullable(s.bubblewrap);
    }

    /** True when bubblewrap is part of the chain (namespaces, a view, binds, tmpfs or die-with-parent). */
    public boolean usesBubblewrap() {
        return !s.namespaces.isEmpty() || s.view != null || !s.readOnlyBinds.isEmpty() || !s.tmpfs.isEmpty()
                || s.dieWithParent;
    }

    /** The names kept in the environment; empty when the environment is not filtered. */
    public Optional<Set<String>> environmentAllowlist() {
        return Optional.ofNullable(s.envAllowlist);
    }

    public Optional<Path> pidFile() {
        return Optional.ofNullable(s.pidFile);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JailSpec other && toString().equals(other.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** Every setting, in a stable order (also the basis of {@code equals}). */
    @Override
    public String toString() {
        return s.describe();
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> copy = new ArrayList<>(list);
        copy.add(item);
        return List.copyOf(copy);
    }

    private static int checkId(String what, int id) {
        if (id < 0) throw new IllegalArgumentException(what + " must not be negative: " + id);
        return id;
    }

    private static void checkAbsolute(String what, Path p) {
        checkText(what, Objects.requireNonNull(p, what).toString());
        if (!p.isAbsolute()) throw new IllegalArgumentException(what + " must be an absolute path: " + p);
    }

    private static void checkText(String what, String text) {
        if (text.indexOf('\0') >= 0) throw new IllegalArgumentException(what + " contains NUL: " + text.replace("\0", "\\0"));
    }
}
