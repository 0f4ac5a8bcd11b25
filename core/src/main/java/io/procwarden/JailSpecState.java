package io.procwarden;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The settings of a {@link JailSpec}, mutable only while a new spec is being derived (copy,
 * change, wrap); a spec never lets its state escape. Null fields are "not set".
 */
final class JailSpecState {
    EnumMap<JailSpec.Resource, JailSpec.Limit> limits = new EnumMap<>(JailSpec.Resource.class);
    boolean noNewPrivileges;
    Integer uid;
    Integer gid;
    List<Integer> groups = List.of();
    Integer umask;
    Signal parentDeathSignal;
    Long memoryMax;
    Long cpuQuotaMicros;
    long cpuPeriodMicros = 100_000;
    Long pidsMax;
    boolean ownCgroup;
    EnumSet<JailSpec.Namespace> namespaces = EnumSet.noneOf(JailSpec.Namespace.class);
    JailSpec.FilesystemView view;
    List<JailSpec.Bind> readOnlyBinds = List.of();
    List<Path> tmpfs = List.of();
    boolean dieWithParent;
    Path bubblewrap;
    Set<String> envAllowlist;
    Path pidFile;

    /** A copy whose collections can be changed without touching this one (lists are immutable already). */
    JailSpecState copy() {
        JailSpecState c = new JailSpecState();
        c.limits = new EnumMap<>(limits);
        c.noNewPrivileges = noNewPrivileges;
        c.uid = uid;
        c.gid = gid;
        c.groups = groups;
        c.umask = umask;
        c.parentDeathSignal = parentDeathSignal;
        c.memoryMax = memoryMax;
        c.cpuQuotaMicros = cpuQuotaMicros;
        c.cpuPeriodMicros = cpuPeriodMicros;
        c.pidsMax = pidsMax;
        c.ownCgroup = ownCgroup;
        c.namespaces = EnumSet.copyOf(namespaces);
        c.view = view;
        c.readOnlyBinds = readOnlyBinds;
        c.tmpfs = tmpfs;
        c.dieWithParent = dieWithParent;
        c.bubblewrap = bubblewrap;
        c.envAllowlist = envAllowlist;
        c.pidFile = pidFile;
        return c;
    }

    /** Every setting in a stable order (enum maps and sets iterate in declaration order). */
    String describe() {
        return "JailSpec[limits=" + limits + ", noNewPrivileges=" + noNewPrivileges + ", uid=" + uid
                + ", gid=" + gid + ", groups=" + groups
                + ", umask=" + (umask == null ? null : "0" + Integer.toOctalString(umask))
                + ", parentDeathSignal=" + parentDeathSignal + ", memoryMax=" + memoryMax
                + ", cpuQuota=" + cpuQuotaMicros + "/" + cpuPeriodMicros + "us, pidsMax=" + pidsMax
                + ", ownCgroup=" + ownCgroup + ", namespaces=" + namespaces + ", view=" + view
                + ", readOnlyBinds=" + readOnlyBinds + ", tmpfs=" + tmpfs + ", dieWithParent=" + dieWithParent
                + ", bubblewrap=" + bubblewrap + ", environmentAllowlist=" + envAllowlist
                + ", pidFile=" + pidFile + "]";
    }
}
