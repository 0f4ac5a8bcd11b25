package io.procwarden.internal.jail;

import io.procwarden.JailSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A macOS {@code sandbox-exec -p PROFILE} (Seatbelt, SBPL) profile for the parts of a
 * {@link JailSpec} that map: network denial for {@link JailSpec.Namespace#NET}, and file access for
 * the file system view, read-only binds (at their own path) and tmpfs paths (writable, but the
 * host's directory, not a private mount). Everything else is listed in {@link Profile#unmapped()}
 * so that a caller can refuse the spec rather than run it weaker.
 *
 * <p>Pure string generation, unit-tested on Linux. It is <b>not run here</b> and not wired into
 * {@link JailLauncher}: no macOS machine has checked these profiles. Rules match resolved paths,
 * and {@code /tmp}, {@code /var} and {@code /etc} are symlinks into {@code /private}, so both
 * forms are emitted. The base is {@code (allow default)} with denials on top: a
 * {@code (deny default)} base also needs mach-lookup, sysctl and dyld rules that differ between
 * macOS releases.
 */
public final class SandboxProfile {
    private SandboxProfile() {}

    /**
     * A generated profile.
     *
     * @param text the SBPL source for {@code sandbox-exec -p}
     * @param unmapped the spec's settings this profile does not express, one phrase each
     */
    public record Profile(String text, List<String> unmapped) {}

    /** Paths a program needs to read in order to run at all (dyld, system frameworks, devices). */
    static final List<String> SYSTEM_READ = List.of("/usr/lib", "/usr/share", "/System", "/Library/Apple",
            "/private/var/db/dyld", "/private/var/db/timezone", "/dev");

    /** Devices that must stay writable for ordinary redirections. */
    static final List<String> DEVICE_WRITE = List.of("/dev/null", "/dev/zero", "/dev/tty", "/dev/dtracehelper");

    public static Profile of(JailSpec spec) {
        StringBuilder b = new StringBuilder();
        List<String> unmapped = new ArrayList<>();
        b.append("(version 1)\n(allow default)\n");
        if (spec.namespaces().contains(JailSpec.Namespace.NET)) {
            b.append("; NET namespace: no network at all (Unix sockets included)\n(deny network*)\n");
        }
        for (JailSpec.Namespace ns : spec.namespaces()) {
            if (ns != JailSpec.Namespace.NET) unmapped.add(ns + " namespace");
        }
        JailSpec.FilesystemView view = spec.filesystem().orElse(null);
        List<String> readOnly = new ArrayList<>();
        for (JailSpec.Bind bind : spec.readOnlyBinds()) {
            if (bind.source().equals(bind.destination())) {
                readOnly.add(bind.source().toString());
            } else {
                unmapped.add("read-only bind of " + bind.source() + " at another path (" + bind.destination() + ")");
            }
        }
        List<String> writable = new ArrayList<>();
        for (Path t : spec.tmpfs()) {
            writable.add(t.toString());
            unmapped.add("tmpfs on " + t + " (the host directory is used, writable, not private)");
        }
        if (view == JailSpec.FilesystemView.EMPTY) {
            b.append("; EMPTY view: read only the system, the binds and the tmpfs paths\n");
            b.append("(deny file-read* file-write*)\n(allow file-read-metadata)\n");
            b.append("(allow file-read*").append(subpaths(SYSTEM_READ)).append(subpaths(readOnly))
                    .append(subpaths(writable)).append(")\n");
            appendWrites(b, writable);
        } else if (view == JailSpec.FilesystemView.HOST_READ_ONLY) {
            b.append("; HOST_READ_ONLY view: no writes but to the tmpfs paths and the usual devices\n");
            b.append("(deny file-write*)\n");
            appendWrites(b, writable);
        } else if (!readOnly.isEmpty()) {
            b.append("; read-only binds\n(deny file-write*").append(subpaths(readOnly)).append(")\n");
        }
        if (spec.usesCgroup()) unmapped.add("cgroup limits (memory, cpu, pids)");
        if (spec.isDieWithParent()) unmapped.add("die-with-parent");
        return new Profile(b.toString(), List.copyOf(unmapped));
    }

    private static void appendWrites(StringBuilder b, List<String> writable) {
        b.append("(allow file-write*");
        for (String d : DEVICE_WRITE) b.append(" (literal ").append(quote(d)).append(')');
        b.append(subpaths(writable)).append(")\n");
    }

    private static String subpaths(List<String> paths) {
        StringBuilder b = new StringBuilder();
        for (String p : resolvedForms(paths)) b.append(" (subpath ").append(quote(p)).append(')');
        return b.toString();
    }

    /** Each path, plus its {@code /private} form for the top-level symlinks macOS has. */
    static Set<String> resolvedForms(List<String> paths) {
        Set<String> out = new LinkedHashSet<>();
        for (String p : paths) {
            out.add(p);
            for (String link : List.of("/tmp", "/var", "/etc")) {
                if (p.equals(link) || p.startsWith(link + "/")) out.add("/private" + p);
            }
        }
        return out;
    }

    /** An SBPL string literal: backslash and double quote escaped. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' || c == '"') b.append('\\');
            b.append(c);
        }
        return b.append('"').toString();
    }
}
