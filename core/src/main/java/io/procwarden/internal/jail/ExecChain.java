package io.procwarden.internal.jail;

import io.procwarden.JailSpec;
import io.procwarden.internal.ffi.Resource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The command line of a jailed child: a parked {@code /bin/sh} stub that execs
 * {@code [setpriv ... --] [bwrap ... --] TARGET ARGS}. Pure string building, no system calls.
 *
 * <p>The stub's descriptors: 0 is the go pipe; {@code S} holds the target's stdin until go;
 * {@code R} is the ready pipe; 1, 2 and preserved descriptors are the target's. Its script:
 * <pre>
 *   echo &gt;&amp;R || exit 125       # ready: the shell is loaded and about to block
 *   read -r _ || exit 125         # park; EOF (the parent gave up) ends the stub
 *   exec 0&lt;&amp;S S&lt;&amp;- R&gt;&amp;-         # the target's stdin back on 0; nothing else left open
 *   ulimit -S -n 4; ulimit -H -n 4  # only for a NOFILE below the floor (see below)
 *   unset PWD; umask 077          # when the spec asks (dash would export a PWD of its own)
 *   exec "$@"
 * </pre>
 * The parent waits for "ready" before it applies limits: a shell still being loaded by ld.so
 * needs descriptors and address space, and would fail under a tiny RLIMIT_NOFILE or AS. The
 * {@code exec} redirections after "go" are the one step that needs spare descriptors: dash (and
 * bash, and busybox ash) first save each redirected descriptor with {@code F_DUPFD} at 10 or
 * above, which fails with EINVAL under a NOFILE of 10 or less. So a NOFILE below
 * {@value #NOFILE_FLOOR} is applied by the parent as {@value #NOFILE_FLOOR} and lowered to the
 * spec's value by the stub itself ({@code ulimit -S -n}, then {@code -H}) right after those
 * redirections and before any exec: the target still starts with exactly the spec's limits.
 *
 * <p>Order of the chain: setpriv first, so the uid, groups, no_new_privs and the parent-death
 * signal are set before bwrap (which then runs unprivileged, in a user namespace, when the uid
 * was dropped) and before the target's first instruction. setpriv sets the parent-death signal
 * after changing credentials (a credential change clears it).
 */
final class ExecChain {
    private ExecChain() {}

    /** Exit code of a stub that was never told to go, or lost its ready pipe. */
    static final int STUB_ABANDONED = 125;

    /** The lowest RLIMIT_NOFILE under which the stub's redirections work (they save descriptors at 10+). */
    static final long NOFILE_FLOOR = 64;

    /** What the parent applies for a spec's NOFILE value: at least the floor (the stub lowers it). */
    static long parentNofile(long specValue) {
        return Long.compareUnsigned(specValue, NOFILE_FLOOR) < 0 ? NOFILE_FLOOR : specValue;
    }

    static boolean needsSetpriv(JailSpec spec) {
        return spec.isNoNewPrivileges() || spec.uid().isPresent() || !spec.supplementaryGroups().isEmpty()
                || spec.parentDeathSignal().isPresent();
    }

    static int resource(JailSpec.Resource r) {
        return switch (r) {
            case CPU -> Resource.RLIMIT_CPU;
            case FSIZE -> Resource.RLIMIT_FSIZE;
            case STACK -> Resource.RLIMIT_STACK;
            case CORE -> Resource.RLIMIT_CORE;
            case NPROC -> Resource.RLIMIT_NPROC;
            case NOFILE -> Resource.RLIMIT_NOFILE;
            case AS -> Resource.RLIMIT_AS;
        };
    }

    /** A spec value as {@code rlim_t}. */
    static long rlim(long value) {
        return value == JailSpec.Limit.UNLIMITED ? Resource.RLIM_INFINITY : value;
    }

    /**
     * The stub's script.
     *
     * @param savedStdin the descriptor holding the target's stdin, or -1 to leave 0 closed
     * @param ready the ready pipe's descriptor
     * @param nofile the spec's NOFILE limit, or null; the stub lowers it where below the floor
     */
    static String stubScript(int savedStdin, int ready, JailSpec.Limit nofile, boolean unsetPwd, Integer umask) {
        StringBuilder b = new StringBuilder();
        b.append("echo >&").append(ready).append(" || exit ").append(STUB_ABANDONED).append("; ");
        b.append("read -r _ || exit ").append(STUB_ABANDONED).append("; ");
        if (savedStdin >= 0) {
            b.append("exec 0<&").append(savedStdin).append(' ').append(savedStdin).append("<&- ");
        } else {
            b.append("exec 0<&- ");
        }
        b.append(ready).append(">&-; ");
        if (nofile != null && nofile.soft() < NOFILE_FLOOR) b.append("ulimit -S -n ").append(nofile.soft()).append("; ");
        if (nofile != null && nofile.hard() < NOFILE_FLOOR) b.append("ulimit -H -n ").append(nofile.hard()).append("; ");
        if (unsetPwd) b.append("unset PWD; ");
        if (umask != null) b.append("umask 0").append(Integer.toOctalString(umask)).append("; ");
        b.append("exec \"$@\"");
        return b.toString();
    }

    /** The whole argv of the stub: {@code sh -c SCRIPT procwarden-jail [setpriv..] [bwrap..] TARGET ARGS}. */
    static List<String> stubArgv(String script, JailSpec spec, JailHost.Tools tools, String target, List<String> targetArgs) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", script, "procwarden-jail"));
        if (tools.setpriv() != null) argv.addAll(setprivArgs(spec, tools.setpriv()));
        if (tools.bwrap() != null) argv.addAll(bwrapArgs(spec, tools.bwrap()));
        argv.add(target);
        argv.addAll(targetArgs);
        return argv;
    }

    static List<String> setprivArgs(JailSpec spec, Path setpriv) {
        List<String> a = new ArrayList<>();
        a.add(setpriv.toString());
        if (spec.uid().isPresent()) {
            a.add("--reuid=" + spec.uid().getAsInt());
            a.add("--regid=" + spec.gid().getAsInt());
        }
        if (!spec.supplementaryGroups().isEmpty()) {
            StringJoiner j = new StringJoiner(",");
            for (int g : spec.supplementaryGroups()) j.add(Integer.toString(g));
            a.add("--groups=" + j);
        } else if (spec.uid().isPresent()) {
            a.add("--clear-groups");
        }
        if (spec.isNoNewPrivileges()) a.add("--no-new-privs");
        spec.parentDeathSignal().ifPresent(s -> a.add("--pdeathsig=" + s.shortName()));
        a.add("--");
        return a;
    }

    static List<String> bwrapArgs(JailSpec spec, Path bwrap) {
        List<String> a = new ArrayList<>();
        a.add(bwrap.toString());
        Set<JailSpec.Namespace> ns = spec.namespaces();
        if (ns.contains(JailSpec.Namespace.USER)) a.add("--unshare-user");
        if (ns.contains(JailSpec.Namespace.PID)) a.add("--unshare-pid");
        if (ns.contains(JailSpec.Namespace.IPC)) a.add("--unshare-ipc");
        if (ns.contains(JailSpec.Namespace.UTS)) a.add("--unshare-uts");
        if (ns.contains(JailSpec.Namespace.NET)) a.add("--unshare-net");
        switch (spec.filesystem().orElseThrow()) {
            case HOST -> a.addAll(List.of("--bind", "/", "/"));
            case HOST_READ_ONLY -> a.addAll(List.of("--ro-bind", "/", "/"));
            case EMPTY -> { }
        }
        // bwrap mounts binds nodev: a fresh minimal /dev (null, zero, random, tty, ...) instead.
        a.addAll(List.of("--dev", "/dev"));
        // A PID namespace needs its own /proc, or /proc/self and the pid list would be the host's.
        if (ns.contains(JailSpec.Namespace.PID)) a.addAll(List.of("--proc", "/proc"));
        for (JailSpec.Bind b : spec.readOnlyBinds()) {
            a.addAll(List.of("--ro-bind", b.source().toString(), b.destination().toString()));
        }
        for (Path t : spec.tmpfs()) a.addAll(List.of("--tmpfs", t.toString()));
        if (spec.isDieWithParent()) a.add("--die-with-parent");
        a.add("--");
        return a;
    }

    /**
     * The environment after the allowlist: from {@code env} ("NAME=value" entries), or from this
     * process's environment when {@code env} is null and there is an allowlist; null (inherit
     * unchanged) when there is neither.
     */
    static List<String> environment(List<String> env, Set<String> allowlist, Map<String, String> ours) {
        if (allowlist == null) return env;
        List<String> out = new ArrayList<>();
        if (env == null) {
            for (Map.Entry<String, String> e : ours.entrySet()) {
                if (allowlist.contains(e.getKey())) out.add(e.getKey() + "=" + e.getValue());
            }
        } else {
            for (String entry : env) {
                int eq = entry.indexOf('=');
                if (eq > 0 && allowlist.contains(entry.substring(0, eq))) out.add(entry);
            }
        }
        return out;
    }

    /** Whether the environment the target should get has PWD (if not, the stub must unset dash's). */
    static boolean hasPwd(List<String> env, Map<String, String> ours) {
        if (env == null) return ours.containsKey("PWD");
        return env.stream().anyMatch(e -> e.startsWith("PWD="));
    }

    /** A short description of the chain for messages: {@code "sh stub -> setpriv -> bwrap -> /bin/cat"}. */
    static String describe(JailHost.Tools tools, String target) {
        StringBuilder b = new StringBuilder("sh stub");
        if (tools.setpriv() != null) b.append(" -> ").append(tools.setpriv());
        if (tools.bwrap() != null) b.append(" -> ").append(tools.bwrap());
        return b.append(" -> ").append(target).toString();
    }
}
