package io.procwarden.internal.jail;

import io.procwarden.JailUnavailableException;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Prlimit;
import io.procwarden.internal.jail.cgroup.Cgroups;
import io.procwarden.internal.sys.ProcFs;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What this host offers the jail, checked against a plan: the helper tools (located, then run
 * once to see that they work and support the options we need), privileges (effective
 * capabilities from {@code /proc/self/status}), user namespaces for an unprivileged bwrap, and
 * the cgroup controllers ({@link Cgroups}). Every refusal is a {@link JailUnavailableException}
 * naming the capability.
 *
 * <p>Tool locations: system properties {@value #SETPRIV_PROPERTY} and {@value #BWRAP_PROPERTY}
 * (or the spec's {@code bubblewrap(Path)}, in {@link JailPlan.Sandbox#bubblewrap()}) when set,
 * otherwise the usual install paths. A path given explicitly that does not exist is an error,
 * never a fallback to another copy.
 */
public final class JailHost {
    private JailHost() {}

    public static final String SETPRIV_PROPERTY = "procwarden.setpriv";
    public static final String BWRAP_PROPERTY = "procwarden.bwrap";

    static final int CAP_SETGID = 6;
    static final int CAP_SETUID = 7;
    static final int CAP_SYS_ADMIN = 21;
    static final int CAP_SYS_RESOURCE = 24;

    static final Path SHELL = Path.of("/bin/sh");

    /**
     * The executables of a plan's chain.
     *
     * @param setpriv null when the plan needs no credential or process-attribute change
     * @param bwrap null when the plan needs no namespace or file system view
     */
    record Tools(Path setpriv, Path bwrap) {}

    /** Checks everything a plan needs, cgroups included, without creating anything. */
    public static void check(JailPlan plan) throws JailUnavailableException {
        resolve(plan);
        if (plan.cgroup() != null) {
            try {
                Cgroups.check(plan.cgroup());
            } catch (JailUnavailableException e) {
                throw e;
            } catch (IOException e) {
                throw new JailUnavailableException("cgroup", e.getMessage());
            }
        }
    }

    /** Locates and probes the tools of a plan's chain and checks privileges (not cgroups: creating one checks those). */
    static Tools resolve(JailPlan plan) throws JailUnavailableException {
        if (!Platform.current().isLinux()) {
            throw new JailUnavailableException("Linux", "the jail is implemented for Linux only (macOS confinement is not built)");
        }
        if (!Files.isExecutable(SHELL)) throw new JailUnavailableException(SHELL.toString(), "the parked stub is a POSIX shell");
        checkCredentials(plan.credentials());
        checkLimits(plan.rlimits());
        Path setpriv = ExecChain.needsSetpriv(plan.credentials()) ? setpriv(plan.credentials()) : null;
        Path bwrap = plan.sandbox() != null ? bubblewrap(plan.sandbox(), plan.credentials()) : null;
        return new Tools(setpriv, bwrap);
    }

    private static void checkCredentials(JailPlan.Credentials c) throws JailUnavailableException {
        if (c.uid() != null && !(hasCapability(CAP_SETUID) && hasCapability(CAP_SETGID))) {
            throw new JailUnavailableException("CAP_SETUID and CAP_SETGID (root) to change the user id",
                    "the spec runs the child as uid " + c.uid() + " gid " + c.gid());
        }
        // Clearing them is setgroups(0, NULL): the same privilege as setting them.
        if (c.groups() != null && !hasCapability(CAP_SETGID)) {
            throw new JailUnavailableException("CAP_SETGID (root) to set supplementary groups",
                    c.groups().isEmpty() ? "the spec clears them" : "the spec sets groups " + c.groups());
        }
    }

    private static void checkLimits(List<JailPlan.Rlimit> rlimits) throws JailUnavailableException {
        if (rlimits.isEmpty() || hasCapability(CAP_SYS_RESOURCE)) return;
        for (JailPlan.Rlimit r : rlimits) {
            long wanted = r.hard();
            long own;
            try {
                own = Prlimit.get(0, r.resource()).hard();
            } catch (SyscallException ex) {
                throw new JailUnavailableException("getrlimit", ex.getMessage());
            }
            if (Long.compareUnsigned(wanted, own) > 0) {
                throw new JailUnavailableException("CAP_SYS_RESOURCE to raise a hard limit",
                        "the spec sets hard " + Prlimit.name(r.resource()) + " " + rlimText(wanted)
                        + " above this process's " + rlimText(own));
            }
        }
    }

    private static String rlimText(long v) {
        return v == Prlimit.RLIM_INFINITY ? "unlimited" : Long.toUnsignedString(v);
    }

    private static Path setpriv(JailPlan.Credentials c) throws JailUnavailableException {
        String capability = "util-linux setpriv";
        Path exe = locate(capability, System.getProperty(SETPRIV_PROPERTY), "the system property " + SETPRIV_PROPERTY,
                List.of(Path.of("/usr/bin/setpriv"), Path.of("/bin/setpriv"), Path.of("/usr/sbin/setpriv")),
                "install util-linux (Debian/Ubuntu: util-linux; Alpine: setpriv)");
        ToolProbe.Result help = ToolProbe.run(exe, "--help");
        if (!help.ran()) throw new JailUnavailableException(capability, exe + " does not run: " + help.failure());
        for (String option : List.of("--no-new-privs", "--reuid", "--regid", "--clear-groups", "--groups")) {
            if (!help.output().contains(option)) {
                throw new JailUnavailableException(capability, exe + " --help lists no " + option);
            }
        }
        if (c.parentDeathSignal() != 0 && !help.output().contains("--pdeathsig")) {
            throw new JailUnavailableException("setpriv --pdeathsig (util-linux 2.33+)",
                    exe + " is too old to set the parent-death signal the spec asks for");
        }
        return exe;
    }

    private static Path bubblewrap(JailPlan.Sandbox sandbox, JailPlan.Credentials c) throws JailUnavailableException {
        String capability = "bubblewrap (bwrap)";
        String given = sandbox.bubblewrap() != null ? sandbox.bubblewrap().toString() : System.getProperty(BWRAP_PROPERTY);
        String source = sandbox.bubblewrap() != null ? "the spec" : "the system property " + BWRAP_PROPERTY;
        Path exe = locate(capability, given, source,
                List.of(Path.of("/usr/bin/bwrap"), Path.of("/usr/local/bin/bwrap"), Path.of("/bin/bwrap")),
                "install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)");
        ToolProbe.Result version = ToolProbe.run(exe, "--version");
        if (!version.ran() || !version.status().isSuccess()) {
            throw new JailUnavailableException(capability, exe + " --version failed: "
                    + (version.ran() ? version.status() + ": " + version.output().trim() : version.failure()));
        }
        // Without CAP_SYS_ADMIN (or after dropping to another uid) bwrap needs user namespaces.
        boolean unprivileged = !hasCapability(CAP_SYS_ADMIN) || c.uid() != null;
        if (unprivileged || sandbox.namespaces().contains(JailPlan.Namespace.USER)) {
            if (readInt("/proc/sys/user/max_user_namespaces", 1) == 0) {
                throw new JailUnavailableException("user namespaces", "/proc/sys/user/max_user_namespaces is 0");
            }
            if (unprivileged && readInt("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0) {
                throw new JailUnavailableException("unprivileged user namespaces", "/proc/sys/kernel/unprivileged_userns_clone is 0");
            }
        }
        if (unprivileged) probeUnprivileged(exe, c);
        return exe;
    }

    /**
     * Runs bwrap once, as the user the child will be, in a user namespace: sysctls are not the
     * whole story (Ubuntu 24.04's AppArmor restricts unprivileged user namespaces per program).
     */
    private static void probeUnprivileged(Path bwrap, JailPlan.Credentials c) throws JailUnavailableException {
        List<String> args = List.of(bwrap.toString(), "--unshare-user", "--ro-bind", "/", "/", "/bin/true");
        ToolProbe.Result r;
        if (c.uid() != null) {
            Path setpriv = setpriv(c);
            List<String> all = new java.util.ArrayList<>(List.of("--reuid=" + c.uid(),
                    "--regid=" + c.gid(), "--clear-groups", "--"));
            all.addAll(args);
            r = ToolProbe.run(setpriv, all.toArray(String[]::new));
        } else {
            r = ToolProbe.run(bwrap, args.subList(1, args.size()).toArray(String[]::new));
        }
        if (!r.ran() || !r.status().isSuccess()) {
            throw new JailUnavailableException("unprivileged user namespaces for bwrap",
                    bwrap + " --unshare-user failed" + (c.uid() != null ? " as uid " + c.uid() : "")
                    + ": " + (r.ran() ? r.status() + ": " + r.output().trim() : r.failure())
                    + " (sysctl kernel.apparmor_restrict_unprivileged_userns, or an AppArmor profile for bwrap)");
        }
    }

    private static Path locate(String capability, String given, String source, List<Path> candidates, String hint)
            throws JailUnavailableException {
        if (given != null && !given.isBlank()) {
            Path p = Path.of(given);
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw new JailUnavailableException(capability, "no executable at " + p + " (set by " + source + ")");
            }
            return p;
        }
        return ToolProbe.firstExecutable(candidates).orElseThrow(
                () -> new JailUnavailableException(capability, "not found at any of " + candidates + "; " + hint));
    }

    /** Whether this process has {@code cap} in its effective set. */
    static boolean hasCapability(int cap) {
        try {
            for (String line : readProc("/proc/self/status").split("\n")) {
                if (line.startsWith("CapEff:")) {
                    return new BigInteger(line.substring(7).trim(), 16).testBit(cap);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: treat as absent, so the spec fails loudly rather than half-applies
        }
        return false;
    }

    private static int readInt(String path, int absent) {
        try {
            return Integer.parseInt(readProc(path).trim());
        } catch (IOException | NumberFormatException e) {
            return absent;
        }
    }

    private static String readProc(String path) throws IOException {
        return new String(ProcFs.readFile(Path.of(path)), StandardCharsets.US_ASCII);
    }
}
