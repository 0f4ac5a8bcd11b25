package io.procwarden.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/**
 * A snapshot of this JVM: live threads, heap used after a full GC, resident set size, and the
 * threads that watch processes (procwarden's monitor loops; the JDK's busy "process reaper
 * (pid N)" threads, which the JDK renames while they wait for a process; NuProcess's
 * "NuProcessQueue-N" event threads).
 */
record Census(int threads, long heapUsed, long rssKiB, int monitorThreads, int busyReapers, int nuProcessThreads) {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    static Census take() {
        long heap = heapAfterGc();
        int monitors = 0;
        int reapers = 0;
        int nu = 0;
        for (ThreadInfo t : THREADS.dumpAllThreads(false, false, 0)) {
            if (t == null) continue;
            String name = t.getThreadName();
            if (name.startsWith("procwarden-monitor-")) monitors++;
            if (name.startsWith("process reaper (pid ")) reapers++;
            if (name.startsWith("NuProcessQueue")) nu++;
        }
        return new Census(THREADS.getThreadCount(), heap, readRssKiB(), monitors, reapers, nu);
    }

    /** Heap in use after two explicit full collections (G1 honours System.gc() by default). */
    static long heapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** VmRSS from /proc/self/status, in KiB. */
    static long readRssKiB() {
        for (String line : Machine.proc("/proc/self/status").split("\n")) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
