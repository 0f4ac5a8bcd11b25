package io.procwarden.bench;

import com.zaxxer.nuprocess.NuAbstractProcessHandler;
import com.zaxxer.nuprocess.NuProcess;
import com.zaxxer.nuprocess.NuProcessBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * NuProcess, the Java library people pick for many processes (epoll on Linux, a few event
 * threads for all children), as a peer: started with default settings, as its README shows.
 *
 * <p>It always makes three pipes per child and reports the exit through
 * {@link NuAbstractProcessHandler#onExit(int)} on one of its event threads. A child killed by a
 * signal is reported as the bare signal number (SIGKILL: 9), the same value as {@code exit(9)}.
 */
final class NuProcessPeer {
    private NuProcessPeer() {}

    /** The NuProcess version on the class path (from its Maven metadata). */
    static final String VERSION = version();

    private static String version() {
        try (InputStream in = NuProcess.class.getResourceAsStream("/META-INF/maven/com.zaxxer/nuprocess/pom.properties")) {
            if (in == null) return "(unknown version)";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "(unknown version)");
        } catch (IOException e) {
            return "(unknown version)";
        }
    }

    /** A started NuProcess child and a future of the exit code its handler receives. */
    record Child(NuProcess process, CompletableFuture<Integer> exit) {
        int pid() {
            return process.getPID();
        }
    }

    /** Starts {@code command} with a handler that completes the future in {@code onExit}. */
    static Child start(List<String> command, String tagName, String tagValue) {
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        NuProcessBuilder b = new NuProcessBuilder(command);
        if (tagName != null) b.environment().put(tagName, tagValue);
        b.setProcessListener(new NuAbstractProcessHandler() {
            @Override
            public void onExit(int exitCode) {
                exit.complete(exitCode);
            }
        });
        NuProcess p = b.start();
        if (p == null || !p.isRunning() && !exit.isDone()) {
            throw new IllegalStateException("NuProcess could not start " + command);
        }
        return new Child(p, exit);
    }

    /** One sequential spawn + wait; returns the nanoseconds it took. */
    static long spawnAndWait(String program) throws Exception {
        long t0 = System.nanoTime();
        NuProcessBuilder b = new NuProcessBuilder(program);
        b.setProcessListener(new NuAbstractProcessHandler() {});
        NuProcess p = b.start();
        if (p == null) throw new IllegalStateException("NuProcess could not start " + program);
        int rc = p.waitFor(0, TimeUnit.SECONDS);
        long t = System.nanoTime() - t0;
        if (rc != 0) throw new IllegalStateException("NuProcess: " + program + " exit " + rc);
        return t;
    }
}
