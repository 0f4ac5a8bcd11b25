package io.procwarden.internal.jail;

import io.procwarden.Signal;
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
 *   unset PWD; umask 077          # when the plan asks (dash would export a PWD of its own)
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

    /** What the parent applies for a planned NOFILE value ({@code rlim_t}): at least the floor (the stub lowers it). */
    static long parentNofile(long planned) {
        return below(planned, NOFILE_FLOOR) ? NOFILE_FLOOR : planned;
    }

    /** Unsigned, as {@code rlim_t} is: RLIM_INFINITY (-1) is above everything. */
    private static boolean below(long rlim, long floor) {
        return Long.compareUnsigned(rlim, floor) < 0;
    }

    static boolean needsSetpriv(JailPlan.Credentials c) {
        return c.noNewPrivileges() || c.uid() != null || c.groups() != null || c.parentDeathSignal() != 0;
    }

    /**
     * The stub's script.
     *
     * @param savedStdin the descriptor holding the target's stdin, or -1 to leave 0 closed
     * @param ready the ready pipe's descriptor
     * @param nofile the planned NOFILE limit, or null; the stub lowers it where below the floor
     */
    static String stubScript(int savedStdin, int ready, JailPlan.Rlimit nofile, boolean unsetPwd, Integer umask) {
        StringBuilder b = new StringBuilder();
        b.append("echo >&").append(ready).append(" || exit ").append(STUB_ABANDONED).append("; ");
        b.append("read -r _ || exit ").append(STUB_ABANDONED).append("; ");
        if (savedStdin >= 0) {
            b.append("exec 0<&").append(savedStdin).append(' ').append(savedStdin).append("<&- ");
        } else {
            b.append("exec 0<&- ");
        }
        b.append(ready).append(">&-; ");
        if (nofile != null && below(nofile.soft(), NOFILE_FLOOR)) b.append("ulimit -S -n ").append(nofile.soft()).append("; ");
        if (nofile != null && below(nofile.hard(), NOFILE_FLOOR)) b.append("ulimit -H -n ").append(nofile.hard()).append("; ");
        if (unsetPwd) b.append("unset PWD; ");
        if (umask != null) b.append("umask 0").append(Integer.toOctalString(umask)).append("; ");
        b.append("exec \"$@\"");
        return b.toString();
    }

    /** The whole argv of the stub: {@code sh -c SCRIPT procwarden-jail [setpriv..] [bwrap..] TARGET ARGS}. */
    static List<String> stubArgv(String script, JailPlan plan, JailHost.Tools tools, String target, List<String> targetArgs) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", script, "procwarden-jail"));
        if (tools.setpriv() != null) argv.addAll(setprivArgs(plan.credentials(), tools.setpriv()));
        if (tools.bwrap() != null) argv.addAll(bwrapArgs(plan.sandbox(), tools.bwrap()));
        argv.add(target);
        argv.addAll(targetArgs);
        return argv;
    }

    /**
     * setpriv's options. Groups: a list sets exactly those, an empty list clears them, and
     * none asked for keeps ours, unless the uid changes (then they are cleared: root's groups
     * must not follow the child to another user).
     */
    static List<String> setprivArgs(JailPlan.Credentials c, Path setpriv) {
        List<String> a = new ArrayList<>();
        a.add(setpriv.toString());
        if (c.uid() != null) {
            a.add("--reuid=" + c.uid());
            a.add("--regid=" + c.gid());
        }
        if (c.groups() != null && !c.groups().isEmpty()) {
            StringJoiner j = new StringJoiner(",");
            for (int g : c.groups()) j.add(Integer.toString(g));
            a.add("--groups=" + j);
        } else if (c.groups() != null || c.uid() != null) {
            a.add("--clear-groups");
        }
        if (c.noNewPrivileges()) a.add("--no-new-privs");
        if (c.parentDeathSignal() != 0) a.add("--pdeathsig=" + Signal.of(c.parentDeathSignal()).shortName());
        a.add("--");
        return a;
    }

    static List<String> bwrapArgs(JailPlan.Sandbox sandbox, Path bwrap) {
        List<String> a = new ArrayList<>();
        a.add(bwrap.toString());
        Set<JailPlan.Namespace> ns = sandbox.namespaces();
        if (ns.contains(JailPlan.Namespace.USER)) a.add("--unshare-user");
        if (ns.contains(JailPlan.Namespace.PID)) a.add("--unshare-pid");
        if (ns.contains(JailPlan.Namespace.IPC)) a.add("--unshare-ipc");
        if (ns.contains(JailPlan.Namespace.UTS)) a.add("--unshare-uts");
        if (ns.contains(JailPlan.Namespace.NET)) a.add("--unshare-net");
        switch (sandbox.view()) {
            case HOST -> a.addAll(List.of("--bind", "/", "/"));
            case HOST_READ_ONLY -> a.addAll(List.of("--ro-bind", "/", "/"));
            case EMPTY -> { }
        }
        // bwrap mounts binds nodev: a fresh minimal /dev (null, zero, random, tty, ...) instead.
        a.addAll(List.of("--dev", "/dev"));
        // A PID namespace needs its own /proc, or /proc/self and the pid list would be the host's.
        if (ns.contains(JailPlan.Namespace.PID)) a.addAll(List.of("--proc", "/proc"));
        for (JailPlan.Bind b : sandbox.readOnlyBinds()) {
            a.addAll(List.of("--ro-bind", b.source().toString(), b.destination().toString()));
        }
        for (Path t : sandbox.tmpfs()) a.addAll(List.of("--tmpfs", t.toString()));
        if (sandbox.dieWithParent()) a.add("--die-with-parent");
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
