package io.procwarden.internal.jail;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.JailSpec;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cost of a jail: sequential spawn + wait of {@code /bin/true} through the public API, plain
 * hardened spawn vs each jail layer, median and 90th percentile. A measurement, not a test: nothing is asserted.
 * {@snippet lang=sh :
 * java --enable-native-access=ALL-UNNAMED -cp core/target/classes:core/target/test-classes \
 *     io.procwarden.internal.jail.JailSpawnCost 1000
 * }
 * Configurations that need what the host lacks (bwrap, root for cgroups) are reported as such.
 */
public final class JailSpawnCost {
    private JailSpawnCost() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        for (int round = 1; round <= 2; round++) {
            System.out.println("round " + round + ":");
            System.out.print(measure(n));
        }
    }

    /** The configurations, in order of added layers. */
    static Map<String, JailSpec> configurations() {
        Map<String, JailSpec> m = new LinkedHashMap<>();
        m.put("plain (no jail)", null);
        m.put("stub + prlimit (NOFILE, CORE)", JailSpec.none().limit(JailSpec.Resource.NOFILE, 1024).limit(JailSpec.Resource.CORE, 0));
        m.put("+ setpriv (no_new_privs, pdeathsig)", JailSpec.none().limit(JailSpec.Resource.NOFILE, 1024)
                .limit(JailSpec.Resource.CORE, 0).noNewPrivileges().parentDeathSignal(io.procwarden.Signal.KILL));
        m.put("+ cgroup (pids.max; create, attach, remove)", JailSpec.none().limit(JailSpec.Resource.NOFILE, 1024)
                .limit(JailSpec.Resource.CORE, 0).noNewPrivileges().pidsMax(64));
        m.put("+ bwrap (PID, IPC, UTS namespaces)", JailSpec.none().limit(JailSpec.Resource.NOFILE, 1024)
                .limit(JailSpec.Resource.CORE, 0).noNewPrivileges().pidsMax(64)
                .namespaces(JailSpec.Namespace.PID, JailSpec.Namespace.IPC, JailSpec.Namespace.UTS));
        m.put("standard() preset", JailSpec.standard());
        return m;
    }

    /** Runs every configuration {@code n} times (after a warm-up of n/10) and formats a table. */
    static String measure(int n) throws Exception {
        StringBuilder out = new StringBuilder();
        try (ProcessMonitor monitor = ProcessMonitor.create()) {
            ProcessSpec plain = ProcessSpec.of("/bin/true").stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                    .stderr(Redirect.DISCARD);
            double plainMedian = 0;
            for (Map.Entry<String, JailSpec> c : configurations().entrySet()) {
                JailSpec jail = c.getValue();
                if (jail != null) {
                    try {
                        jail.checkSupported();
                    } catch (io.procwarden.JailUnavailableException e) {
                        out.append(String.format("  %-45s not measured: %s%n", c.getKey(), e.getMessage()));
                        continue;
                    }
                }
                ProcessSpec spec = jail == null ? plain : plain.jail(jail);
                for (int i = 0; i < Math.max(10, n / 10); i++) once(monitor, spec);
                long[] nanos = new long[n];
                for (int i = 0; i < n; i++) nanos[i] = once(monitor, spec);
                Arrays.sort(nanos);
                double median = nanos[n / 2] / 1e6;
                double p90 = nanos[(int) (n * 0.9)] / 1e6;
                if (jail == null) plainMedian = median;
                out.append(String.format("  %-45s median %6.2f ms  p90 %6.2f ms  (%5.1fx plain, %6.0f/s)%n",
                        c.getKey(), median, p90, median / plainMedian, 1000 / median));
            }
        }
        return out.toString();
    }

    private static long once(ProcessMonitor monitor, ProcessSpec spec) throws Exception {
        long t0 = System.nanoTime();
        try (ChildProcess p = spec.spawn(monitor)) {
            check(p.onExit().get(60, TimeUnit.SECONDS));
        }
        return System.nanoTime() - t0;
    }

    private static void check(ExitStatus s) {
        if (!s.isSuccess()) throw new IllegalStateException("/bin/true " + s);
    }

}
