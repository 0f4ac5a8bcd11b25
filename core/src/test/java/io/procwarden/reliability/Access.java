package io.procwarden.reliability;

import io.procwarden.ProcessMonitor;
import io.procwarden.internal.monitor.MonitorLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Reaches the package-private loop of a monitor from other test packages. */
final class Access {
    private Access() {}

    static MonitorLoop loop(ProcessMonitor monitor) {
        return io.procwarden.TestAccess.loop(monitor);
    }

    /** The loop's thread, as a command run on it sees it: returns only while the loop serves commands. */
    static Thread thread(MonitorLoop loop) throws Exception {
        CompletableFuture<Thread> t = new CompletableFuture<>();
        loop.runOnLoop(() -> t.complete(Thread.currentThread()));
        return t.get(60, TimeUnit.SECONDS);
    }
}
