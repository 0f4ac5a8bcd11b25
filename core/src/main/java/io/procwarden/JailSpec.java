package io.procwarden;

import io.procwarden.internal.ffi.Prlimit;
import io.procwarden.internal.jail.JailHost;
import io.procwarden.internal.jail.JailPlan;
import io.procwarden.internal.jail.cgroup.CgroupLimits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

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

    /**
     * Every setting, in one value: a new setting is a new record, so the compiler sees each
     * field at every copy, and equality, hash code and text come from the records.
     *
     * @param limits by resource (an unmodifiable enum map: stable order)
     * @param process credentials and process attributes
     * @param cgroup the cgroup's limits
     * @param sandbox bubblewrap's part
     * @param environmentAllowlist the names kept (an unmodifiable sorted set), if filtered
     * @param pidFile the absolute pid file path, if any
     */
    private record Settings(Map<Resource, Limit> limits, ProcessSettings process, CgroupSettings cgroup,
            SandboxSettings sandbox, Optional<Set<String>> environmentAllowlist, Optional<Path> pidFile) {
        static final Settings NONE = new Settings(Collections.unmodifiableMap(new EnumMap<>(Resource.class)),
                ProcessSettings.NONE, CgroupSettings.NONE, SandboxSettings.NONE, Optional.empty(), Optional.empty());

        Settings withLimits(Map<Resource, Limit> m) {
            return new Settings(m, process, cgroup, sandbox, environmentAllowlist, pidFile);
        }

        Settings withProcess(ProcessSettings p) {
            return new Settings(limits, p, cgroup, sandbox, environmentAllowlist, pidFile);
        }

        Settings withCgroup(CgroupSettings c) {
            return new Settings(limits, process, c, sandbox, environmentAllowlist, pidFile);
        }

        Settings withSandbox(SandboxSettings b) {
            return new Settings(limits, process, cgroup, b, environmentAllowlist, pidFile);
        }

        Settings withEnvironmentAllowlist(Set<String> names) {
            return new Settings(limits, process, cgroup, sandbox, Optional.of(names), pidFile);
        }

        Settings withPidFile(Path path) {
            return new Settings(limits, process, cgroup, sandbox, environmentAllowlist, Optional.of(path));
        }
    }

    /** Credentials and process attributes; {@code groups} empty: not set, an empty list: cleared. */
    private record ProcessSettings(boolean noNewPrivileges, OptionalInt uid, OptionalInt gid,
            Optional<List<Integer>> groups, OptionalInt umask, Optional<Signal> parentDeathSignal) {
        static final ProcessSettings NONE = new ProcessSettings(false, OptionalInt.empty(), OptionalInt.empty(),
                Optional.empty(), OptionalInt.empty(), Optional.empty());

        ProcessSettings withNoNewPrivileges() {
            return new ProcessSettings(true, uid, gid, groups, umask, parentDeathSignal);
        }

        ProcessSettings withUser(int u, int g) {
            return new ProcessSettings(noNewPrivileges, OptionalInt.of(u), OptionalInt.of(g), groups, umask, parentDeathSignal);
        }

        ProcessSettings withGroups(List<Integer> list) {
            return new ProcessSettings(noNewPrivileges, uid, gid, Optional.of(list), umask, parentDeathSignal);
        }

        ProcessSettings withUmask(int mask) {
            return new ProcessSettings(noNewPrivileges, uid, gid, groups, OptionalInt.of(mask), parentDeathSignal);
        }

        ProcessSettings withParentDeathSignal(Signal signal) {
            return new ProcessSettings(noNewPrivileges, uid, gid, groups, umask, Optional.of(signal));
        }
    }

    /** The cgroup's limits; {@code own}: a cgroup even without limits. */
    private record CgroupSettings(OptionalLong memoryMax, OptionalLong cpuQuotaMicros, long cpuPeriodMicros,
            OptionalLong pidsMax, boolean own) {
        static final CgroupSettings NONE = new CgroupSettings(OptionalLong.empty(), OptionalLong.empty(),
                CgroupLimits.DEFAULT_CPU_PERIOD_MICROS, OptionalLong.empty(), false);

        CgroupSettings withMemoryMax(long bytes) {
            return new CgroupSettings(OptionalLong.of(bytes), cpuQuotaMicros, cpuPeriodMicros, pidsMax, own);
        }

        CgroupSettings withCpuQuota(long quota, long period) {
            return new CgroupSettings(memoryMax, OptionalLong.of(quota), period, pidsMax, own);
        }

        CgroupSettings withPidsMax(long max) {
            return new CgroupSettings(memoryMax, cpuQuotaMicros, cpuPeriodMicros, OptionalLong.of(max), own);
        }

        CgroupSettings withOwn() {
            return new CgroupSettings(memoryMax, cpuQuotaMicros, cpuPeriodMicros, pidsMax, true);
        }

        boolean used() {
            return own || memoryMax.isPresent() || cpuQuotaMicros.isPresent() || pidsMax.isPresent();
        }
    }

    /** bubblewrap's part; {@code namespaces} an unmodifiable enum set (stable order). */
    private record SandboxSettings(Set<Namespace> namespaces, Optional<FilesystemView> view, List<Bind> readOnlyBinds,
            List<Path> tmpfs, boolean dieWithParent, Optional<Path> bubblewrap) {
        static final SandboxSettings NONE = new SandboxSettings(Collections.unmodifiableSet(EnumSet.noneOf(Namespace.class)),
                Optional.empty(), List.of(), List.of(), false, Optional.empty());

        SandboxSettings withNamespaces(Set<Namespace> ns) {
            return new SandboxSettings(ns, view, readOnlyBinds, tmpfs, dieWithParent, bubblewrap);
        }

        SandboxSettings withView(FilesystemView v) {
            return new SandboxSettings(namespaces, Optional.of(v), readOnlyBinds, tmpfs, dieWithParent, bubblewrap);
        }

        SandboxSettings withReadOnlyBinds(List<Bind> binds) {
            return new SandboxSettings(namespaces, view, binds, tmpfs, dieWithParent, bubblewrap);
        }

        SandboxSettings withTmpfs(List<Path> paths) {
            return new SandboxSettings(namespaces, view, readOnlyBinds, paths, dieWithParent, bubblewrap);
        }

        SandboxSettings withDieWithParent() {
            return new SandboxSettings(namespaces, view, readOnlyBinds, tmpfs, true, bubblewrap);
        }

        SandboxSettings withBubblewrap(Path exe) {
            return new SandboxSettings(namespaces, view, readOnlyBinds, tmpfs, dieWithParent, Optional.of(exe));
        }

        boolean used() {
            return !namespaces.isEmpty() || view.isPresent() || !readOnlyBinds.isEmpty() || !tmpfs.isEmpty() || dieWithParent;
        }
    }

    private static final JailSpec NONE = new JailSpec(Settings.NONE);

    private final Settings s;

    private JailSpec(Settings s) {
        this.s = s;
    }

    /** A spec that restricts nothing; start here and add what you need. */
    public static JailSpec none() {
        return NONE;
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
        EnumMap<Resource, Limit> m = new EnumMap<>(Resource.class);
        m.putAll(s.limits());
        m.put(resource, new Limit(soft, hard));
        return new JailSpec(s.withLimits(Collections.unmodifiableMap(m)));
    }

    // ---- credentials and process attributes ----

    /** The same with {@code no_new_privs}: execve can never grant privileges (set-user-id bits, file capabilities are ignored). */
    public JailSpec noNewPrivileges() {
        return new JailSpec(s.withProcess(s.process().withNoNewPrivileges()));
    }

    /** The same, run as real and effective {@code uid} and {@code gid} (needs root); supplementary groups cleared unless {@link #supplementaryGroups} says otherwise. */
    public JailSpec user(int uid, int gid) {
        checkId("uid", uid);
        checkId("gid", gid);
        return new JailSpec(s.withProcess(s.process().withUser(uid, gid)));
    }

    /**
     * The same with exactly these supplementary groups (needs root); an empty array clears them,
     * as {@link #clearSupplementaryGroups()} does. Without either call they are not set: kept,
     * or cleared when {@link #user} changes the uid.
     */
    public JailSpec supplementaryGroups(int... gids) {
        List<Integer> list = new ArrayList<>();
        for (int g : gids) list.add(checkId("supplementary gid", g));
        return new JailSpec(s.withProcess(s.process().withGroups(List.copyOf(list))));
    }

    /**
     * The same with no supplementary groups at all (needs root: {@code setgroups(0)}), whatever
     * this JVM has. ({@code supplementaryGroups()} without arguments is the accessor.)
     */
    public JailSpec clearSupplementaryGroups() {
        return new JailSpec(s.withProcess(s.process().withGroups(List.of())));
    }

    /** The same with this file mode creation mask, 0 to 0777. */
    public JailSpec umask(int mask) {
        if (mask < 0 || mask > 0777) throw new IllegalArgumentException("umask out of range 0..0777: 0" + Integer.toOctalString(mask));
        return new JailSpec(s.withProcess(s.process().withUmask(mask)));
    }

    /**
     * The same with a parent-death signal: the child gets {@code signal} when the JVM dies. The
     * kernel sends it when the <em>thread</em> that spawned the child ends, so such children are
     * spawned from one procwarden thread that lives as long as the JVM.
     */
    public JailSpec parentDeathSignal(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        return new JailSpec(s.withProcess(s.process().withParentDeathSignal(signal)));
    }

    // ---- cgroup ----

    /** The same in a cgroup of at most {@code bytes} of memory (and no swap); the OOM killer acts beyond. */
    public JailSpec memoryMax(long bytes) {
        if (bytes < 4096) throw new IllegalArgumentException("memory limit below one page: " + bytes);
        return new JailSpec(s.withCgroup(s.cgroup().withMemoryMax(bytes)));
    }

    /** The same in a cgroup that may use {@code quotaMicros} of CPU time per {@code periodMicros} (1 ms .. 1 s). */
    public JailSpec cpuQuota(long quotaMicros, long periodMicros) {
        if (periodMicros < 1000 || periodMicros > 1_000_000) {
            throw new IllegalArgumentException("cpu period out of range 1000..1000000 us: " + periodMicros);
        }
        if (quotaMicros < 1000) throw new IllegalArgumentException("cpu quota below 1000 us: " + quotaMicros);
        return new JailSpec(s.withCgroup(s.cgroup().withCpuQuota(quotaMicros, periodMicros)));
    }

    /** The same limited to {@code cpus} CPUs' worth of time (quota per 100 ms period), e.g. 0.5 or 2. */
    public JailSpec cpus(double cpus) {
        if (!(cpus >= 0.01) || cpus > 10_000) throw new IllegalArgumentException("cpus out of range 0.01..10000: " + cpus);
        return cpuQuota(Math.round(cpus * 100_000), 100_000);
    }

    /** The same in a cgroup of at most {@code max} tasks (processes and threads): fork fails with EAGAIN beyond. */
    public JailSpec pidsMax(long max) {
        if (max < 1) throw new IllegalArgumentException("pids limit below 1: " + max);
        return new JailSpec(s.withCgroup(s.cgroup().withPidsMax(max)));
    }

    /**
     * The same in a cgroup of its own even without cgroup limits, so that the end of the child
     * kills every process it left behind (daemons, double forks) and its usage is accounted apart.
     */
    public JailSpec ownCgroup() {
        return new JailSpec(s.withCgroup(s.cgroup().withOwn()));
    }

    // ---- bubblewrap ----

    /** The same with these namespaces added. */
    public JailSpec namespaces(Namespace... namespaces) {
        EnumSet<Namespace> set = EnumSet.noneOf(Namespace.class);
        set.addAll(s.sandbox().namespaces());
        set.addAll(List.of(namespaces));
        return new JailSpec(s.withSandbox(s.sandbox().withNamespaces(Collections.unmodifiableSet(set))));
    }

    /** The same with this file system view (default {@link FilesystemView#HOST} once bubblewrap is used). */
    public JailSpec filesystem(FilesystemView view) {
        Objects.requireNonNull(view, "view");
        return new JailSpec(s.withSandbox(s.sandbox().withView(view)));
    }

    /** The same with host {@code path} visible read-only at the same path. */
    public JailSpec readOnlyBind(Path path) {
        return readOnlyBind(path, path);
    }

    /** The same with host {@code source} visible read-only at {@code destination}. */
    public JailSpec readOnlyBind(Path source, Path destination) {
        Bind b = new Bind(source, destination);
        return new JailSpec(s.withSandbox(s.sandbox().withReadOnlyBinds(append(s.sandbox().readOnlyBinds(), b))));
    }

    /** The same with an empty, private tmpfs mounted on {@code path}. */
    public JailSpec tmpfs(Path path) {
        checkAbsolute("tmpfs", path);
        return new JailSpec(s.withSandbox(s.sandbox().withTmpfs(append(s.sandbox().tmpfs(), path))));
    }

    /** The same with bubblewrap's {@code --die-with-parent}: every sandbox process gets SIGKILL when the JVM dies. */
    public JailSpec dieWithParent() {
        return new JailSpec(s.withSandbox(s.sandbox().withDieWithParent()));
    }

    /** The same using this bubblewrap executable (default: system property {@code procwarden.bwrap}, else {@code bwrap} on a standard path). */
    public JailSpec bubblewrap(Path executable) {
        checkAbsolute("bubblewrap executable", executable);
        return new JailSpec(s.withSandbox(s.sandbox().withBubblewrap(executable)));
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
        return new JailSpec(s.withEnvironmentAllowlist(Collections.unmodifiableSet(set)));
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
        return new JailSpec(s.withPidFile(abs));
    }

    // ---- host check ----

    /**
     * Checks now that this host can honour the spec (tools present, privileges, cgroup
     * controllers); spawning checks the same.
     *
     * @throws JailUnavailableException naming the first missing capability
     */
    public void checkSupported() throws JailUnavailableException {
        JailHost.check(toPlan());
    }

    // ---- accessors ----

    /** The resource limits, by resource. */
    public Map<Resource, Limit> limits() {
        return s.limits();
    }

    public boolean isNoNewPrivileges() {
        return s.process().noNewPrivileges();
    }

    public OptionalInt uid() {
        return s.process().uid();
    }

    public OptionalInt gid() {
        return s.process().gid();
    }

    /**
     * The supplementary groups: empty when not set (kept, or cleared when {@link #user} changes
     * the uid); an empty list when they are cleared ({@link #clearSupplementaryGroups()}).
     */
    public Optional<List<Integer>> supplementaryGroups() {
        return s.process().groups();
    }

    public OptionalInt umask() {
        return s.process().umask();
    }

    public Optional<Signal> parentDeathSignal() {
        return s.process().parentDeathSignal();
    }

    public OptionalLong memoryMax() {
        return s.cgroup().memoryMax();
    }

    public OptionalLong cpuQuotaMicros() {
        return s.cgroup().cpuQuotaMicros();
    }

    /** The CPU period, 100 ms unless {@link #cpuQuota} set another. */
    public long cpuPeriodMicros() {
        return s.cgroup().cpuPeriodMicros();
    }

    public OptionalLong pidsMax() {
        return s.cgroup().pidsMax();
    }

    /** True when the child gets a cgroup of its own (any cgroup limit, or {@link #ownCgroup()}). */
    public boolean usesCgroup() {
        return s.cgroup().used();
    }

    public Set<Namespace> namespaces() {
        return s.sandbox().namespaces();
    }

    /** The view; {@link FilesystemView#HOST} when bubblewrap is used without one; empty when it is not used. */
    public Optional<FilesystemView> filesystem() {
        return usesBubblewrap() ? Optional.of(s.sandbox().view().orElse(FilesystemView.HOST)) : Optional.empty();
    }

    public List<Bind> readOnlyBinds() {
        return s.sandbox().readOnlyBinds();
    }

    public List<Path> tmpfs() {
        return s.sandbox().tmpfs();
    }

    public boolean isDieWithParent() {
        return s.sandbox().dieWithParent();
    }

    public Optional<Path> bubblewrap() {
        return s.sandbox().bubblewrap();
    }

    /** True when bubblewrap is part of the chain (namespaces, a view, binds, tmpfs or die-with-parent). */
    public boolean usesBubblewrap() {
        return s.sandbox().used();
    }

    /** The names kept in the environment; empty when the environment is not filtered. */
    public Optional<Set<String>> environmentAllowlist() {
        return s.environmentAllowlist();
    }

    public Optional<Path> pidFile() {
        return s.pidFile();
    }

    // ---- the plan ----

    /** The spec resolved into what the jail's mechanisms read: numbers, paths, flags. */
    JailPlan toPlan() {
        List<JailPlan.Rlimit> rlimits = new ArrayList<>();
        for (Map.Entry<Resource, Limit> e : s.limits().entrySet()) {
            rlimits.add(new JailPlan.Rlimit(rlimitNumber(e.getKey()), rlim(e.getValue().soft()), rlim(e.getValue().hard())));
        }
        ProcessSettings p = s.process();
        JailPlan.Credentials credentials = new JailPlan.Credentials(p.noNewPrivileges(), boxed(p.uid()), boxed(p.gid()),
                p.groups().orElse(null), p.parentDeathSignal().map(Signal::number).orElse(0));
        CgroupSettings c = s.cgroup();
        CgroupLimits cgroup = c.used()
                ? new CgroupLimits(boxed(c.memoryMax()), boxed(c.cpuQuotaMicros()), c.cpuPeriodMicros(), boxed(c.pidsMax()))
                : null;
        JailPlan.Sandbox sandbox = null;
        if (usesBubblewrap()) {
            SandboxSettings b = s.sandbox();
            EnumSet<JailPlan.Namespace> ns = EnumSet.noneOf(JailPlan.Namespace.class);
            for (Namespace n : b.namespaces()) ns.add(namespace(n));
            List<JailPlan.Bind> binds = new ArrayList<>();
            for (Bind x : b.readOnlyBinds()) binds.add(new JailPlan.Bind(x.source(), x.destination()));
            sandbox = new JailPlan.Sandbox(ns, view(filesystem().orElseThrow()), binds, b.tmpfs(), b.dieWithParent(),
                    b.bubblewrap().orElse(null));
        }
        return new JailPlan(rlimits, credentials, cgroup, sandbox, s.environmentAllowlist().orElse(null),
                boxed(p.umask()), s.pidFile().orElse(null));
    }

    private static int rlimitNumber(Resource r) {
        return switch (r) {
            case CPU -> Prlimit.RLIMIT_CPU;
            case FSIZE -> Prlimit.RLIMIT_FSIZE;
            case STACK -> Prlimit.RLIMIT_STACK;
            case CORE -> Prlimit.RLIMIT_CORE;
            case NPROC -> Prlimit.RLIMIT_NPROC;
            case NOFILE -> Prlimit.RLIMIT_NOFILE;
            case AS -> Prlimit.RLIMIT_AS;
        };
    }

    /** A spec value as {@code rlim_t}. */
    private static long rlim(long value) {
        return value == Limit.UNLIMITED ? Prlimit.RLIM_INFINITY : value;
    }

    private static JailPlan.Namespace namespace(Namespace n) {
        return switch (n) {
            case USER -> JailPlan.Namespace.USER;
            case PID -> JailPlan.Namespace.PID;
            case IPC -> JailPlan.Namespace.IPC;
            case UTS -> JailPlan.Namespace.UTS;
            case NET -> JailPlan.Namespace.NET;
        };
    }

    private static JailPlan.View view(FilesystemView v) {
        return switch (v) {
            case HOST -> JailPlan.View.HOST;
            case HOST_READ_ONLY -> JailPlan.View.HOST_READ_ONLY;
            case EMPTY -> JailPlan.View.EMPTY;
        };
    }

    private static Integer boxed(OptionalInt v) {
        return v.isPresent() ? v.getAsInt() : null;
    }

    private static Long boxed(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : null;
    }

    // ---- value ----

    @Override
    public boolean equals(Object o) {
        return o instanceof JailSpec other && s.equals(other.s);
    }

    @Override
    public int hashCode() {
        return s.hashCode();
    }

    /** Every setting, in a stable order: the record's text, named after this class. */
    @Override
    public String toString() {
        return "JailSpec" + s.toString().substring(Settings.class.getSimpleName().length());
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
