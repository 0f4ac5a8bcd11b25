package io.procwarden.internal.jail;

import io.procwarden.JailSpec;
import io.procwarden.JailUnavailableException;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Platform;
import io.procwarden.internal.ffi.Resource;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What this host offers the jail, checked against a spec: the helper tools (located, then run
 * once to see that they work and support the options we need), privileges (effective
 * capabilities from {@code /proc/self/status}), user namespaces for an unprivileged bwrap, and
 * the cgroup controllers ({@link Cgroups}). Every refusal is a {@link JailUnavailableException}
 * naming the capability.
 *
 * <p>Tool locations: system properties {@value #SETPRIV_PROPERTY} and {@value #BWRAP_PROPERTY}
 * (or {@link JailSpec#bubblewrap(Path)}) when set, otherwise the usual install paths. A path
 * given explicitly that does not exist is an error, never a fallback to another copy.
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
     * The executables of a spec's chain.
     *
     * @param setpriv null when the spec needs no credential or process-attribute change
     * @param bwrap null when the spec needs no namespace or file system view
     */
    record Tools(Path setpriv, Path bwrap) {}

    /** Checks everything a spec needs, cgroups included, without creating anything. */
    public static void check(JailSpec spec) throws JailUnavailableException {
        resolve(spec);
        if (spec.usesCgroup()) {
            try {
                Cgroups.check(CgroupLimits.of(spec));
            } catch (JailUnavailableException e) {
                throw e;
            } catch (IOException e) {
                throw new JailUnavailableException("cgroup", e.getMessage());
            }
        }
    }

    /** Locates and probes the tools of a spec's chain and checks privileges (not cgroups: creating one checks those). */
    static Tools resolve(JailSpec spec) throws JailUnavailableException {
        if (!Platform.current().isLinux()) {
            throw new JailUnavailableException("Linux", "the jail is implemented for Linux only; on macOS, "
                    + "SandboxProfile generates a sandbox-exec profile for the parts that map (not wired, not run)");
        }
        if (!Files.isExecutable(SHELL)) throw new JailUnavailableException(SHELL.toString(), "the parked stub is a POSIX shell");
        checkCredentials(spec);
        checkLimits(spec);
        Path setpriv = ExecChain.needsSetpriv(spec) ? setpriv(spec) : null;
        Path bwrap = spec.usesBubblewrap() ? bubblewrap(spec) : null;
        return new Tools(setpriv, bwrap);
    }

    private static void checkCredentials(JailSpec spec) throws JailUnavailableException {
        if (spec.uid().isPresent() && !(hasCapability(CAP_SETUID) && hasCapability(CAP_SETGID))) {
            throw new JailUnavailableException("CAP_SETUID and CAP_SETGID (root) to change the user id",
                    "the spec runs the child as uid " + spec.uid().getAsInt() + " gid " + spec.gid().getAsInt());
        }
        if (!spec.supplementaryGroups().isEmpty() && !hasCapability(CAP_SETGID)) {
            throw new JailUnavailableException("CAP_SETGID (root) to set supplementary groups",
                    "the spec sets groups " + spec.supplementaryGroups());
        }
    }

    private static void checkLimits(JailSpec spec) throws JailUnavailableException {
        if (spec.limits().isEmpty() || hasCapability(CAP_SYS_RESOURCE)) return;
        for (Map.Entry<JailSpec.Resource, JailSpec.Limit> e : spec.limits().entrySet()) {
            int resource = ExecChain.resource(e.getKey());
            long wanted = ExecChain.rlim(e.getValue().hard());
            long own;
            try {
                own = Resource.prlimit(0, resource).hard();
            } catch (SyscallException ex) {
                throw new JailUnavailableException("getrlimit", ex.getMessage());
            }
            if (Long.compareUnsigned(wanted, own) > 0) {
                throw new JailUnavailableException("CAP_SYS_RESOURCE to raise a hard limit",
                        "the spec sets hard " + Resource.name(resource) + " " + e.getValue().hard()
                        + " above this process's " + (own == Resource.RLIM_INFINITY ? "unlimited" : Long.toUnsignedString(own)));
            }
        }
    }

    private static Path setpriv(JailSpec spec) throws JailUnavailableException {
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
        if (spec.parentDeathSignal().isPresent() && !help.output().contains("--pdeathsig")) {
            throw new JailUnavailableException("setpriv --pdeathsig (util-linux 2.33+)",
                    exe + " is too old to set the parent-death signal the spec asks for");
        }
        return exe;
    }

    private static Path bubblewrap(JailSpec spec) throws JailUnavailableException {
        String capability = "bubblewrap (bwrap)";
        String given = spec.bubblewrap().map(Path::toString).orElse(System.getProperty(BWRAP_PROPERTY));
        String source = spec.bubblewrap().isPresent() ? "the spec" : "the system property " + BWRAP_PROPERTY;
        Path exe = locate(capability, given, source,
                List.of(Path.of("/usr/bin/bwrap"), Path.of("/usr/local/bin/bwrap"), Path.of("/bin/bwrap")),
                "install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)");
        ToolProbe.Result version = ToolProbe.run(exe, "--version");
        if (!version.ran() || !version.status().isSuccess()) {
            throw new JailUnavailableException(capability, exe + " --version failed: "
                    + (version.ran() ? version.status() + ": " + version.output().trim() : version.failure()));
        }
        // Without CAP_SYS_ADMIN (or after dropping to another uid) bwrap needs user namespaces.
        boolean unprivileged = !hasCapability(CAP_SYS_ADMIN) || spec.uid().isPresent();
        if (unprivileged || spec.namespaces().contains(JailSpec.Namespace.USER)) {
            if (readInt("/proc/sys/user/max_user_namespaces", 1) == 0) {
                throw new JailUnavailableException("user namespaces", "/proc/sys/user/max_user_namespaces is 0");
            }
            if (unprivileged && readInt("/proc/sys/kernel/unprivileged_userns_clone", 1) == 0) {
                throw new JailUnavailableException("unprivileged user namespaces", "/proc/sys/kernel/unprivileged_userns_clone is 0");
            }
        }
        if (unprivileged) probeUnprivileged(exe, spec);
        return exe;
    }

    /**
     * Runs bwrap once, as the user the child will be, in a user namespace: sysctls are not the
     * whole story (Ubuntu 24.04's AppArmor restricts unprivileged user namespaces per program).
     */
    private static void probeUnprivileged(Path bwrap, JailSpec spec) throws JailUnavailableException {
        List<String> args = List.of(bwrap.toString(), "--unshare-user", "--ro-bind", "/", "/", "/bin/true");
        ToolProbe.Result r;
        if (spec.uid().isPresent()) {
            Path setpriv = setpriv(spec);
            List<String> all = new java.util.ArrayList<>(List.of("--reuid=" + spec.uid().getAsInt(),
                    "--regid=" + spec.gid().getAsInt(), "--clear-groups", "--"));
            all.addAll(args);
            r = ToolProbe.run(setpriv, all.toArray(String[]::new));
        } else {
            r = ToolProbe.run(bwrap, args.subList(1, args.size()).toArray(String[]::new));
        }
        if (!r.ran() || !r.status().isSuccess()) {
            throw new JailUnavailableException("unprivileged user namespaces for bwrap",
                    bwrap + " --unshare-user failed" + (spec.uid().isPresent() ? " as uid " + spec.uid().getAsInt() : "")
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
            for (String line : CgroupFiles.read(Path.of("/proc/self/status")).split("\n")) {
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
            return Integer.parseInt(CgroupFiles.read(Path.of(path)).trim());
        } catch (IOException | NumberFormatException e) {
            return absent;
        }
    }
}
