package io.procwarden.bench;

import io.procwarden.MonitorBackend;
import io.procwarden.SyscallException;
import io.procwarden.internal.spawn.FdCloser;
import io.procwarden.internal.sys.ProcFs;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where and when the benchmark ran: recorded at the top of the report. */
final class Machine {
    private Machine() {}

    static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")));
        m.put("cpus (nproc)", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("cpu model", cpuModel());
        m.put("memory", memTotal());
        m.put("kernel", "Linux " + proc("/proc/sys/kernel/osrelease"));
        m.put("glibc", BenchNative.glibcVersion());
        m.put("JDK", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + Runtime.version());
        m.put("JVM options", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())
                .replaceAll("-D\\S+", "").replaceAll(" +", " ").trim());
        m.put("monitor backend", MonitorBackend.best().id() + " (" + MonitorBackend.best().description() + ")");
        m.put("spawn fd cleanup", FdCloser.mechanism().description());
        try {
            long[] nofile = BenchNative.nofileLimit();
            m.put("RLIMIT_NOFILE", nofile[0] + " soft / " + nofile[1] + " hard");
        } catch (SyscallException e) {
            m.put("RLIMIT_NOFILE", e.getMessage());
        }
        m.put("pid_max", proc("/proc/sys/kernel/pid_max"));
        m.put("load average at start", proc("/proc/loadavg"));
        return m;
    }

    private static String cpuModel() {
        for (String line : proc("/proc/cpuinfo").split("\n")) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown";
    }

    private static String memTotal() {
        for (String line : proc("/proc/meminfo").split("\n")) {
            if (line.startsWith("MemTotal:")) {
                long kib = Long.parseLong(line.replaceAll("\\D", ""));
                return (kib / 1024 / 1024) + " GiB";
            }
        }
        return "unknown";
    }

    /** Machine-wide CPU accounting at one moment, to describe the contention during a comparison. */
    record CpuSnapshot(long nanos, long busyTicks, long totalTicks, long psiSomeMicros) {
        static CpuSnapshot now() {
            String[] f = proc("/proc/stat").split("\n")[0].trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]); // user..steal
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
            long psi = -1;
            for (String line : proc("/proc/pressure/cpu").split("\n")) {
                if (line.startsWith("some ")) psi = Long.parseLong(line.substring(line.indexOf("total=") + 6).trim());
            }
            return new CpuSnapshot(System.nanoTime(), total - idle, total, psi);
        }

        /** "machine CPU 87% busy; some task waited for a CPU 34% of the time (PSI)". */
        String since(CpuSnapshot start) {
            double busy = 100.0 * (busyTicks - start.busyTicks) / Math.max(1, totalTicks - start.totalTicks);
            String text = String.format(java.util.Locale.ROOT, "machine CPU %.0f%% busy (all cores, every process)", busy);
            if (psiSomeMicros >= 0 && start.psiSomeMicros >= 0) {
                double waited = 100.0 * (psiSomeMicros - start.psiSomeMicros) * 1000 / (nanos - start.nanos);
                text += String.format(java.util.Locale.ROOT, "; some runnable task waited for a CPU %.0f%% of the time (PSI)", waited);
            }
            return text;
        }
    }

    static String proc(String path) {
        try {
            return new String(ProcFs.readFile(Path.of(path)), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "unreadable (" + e + ")";
        }
    }
}
