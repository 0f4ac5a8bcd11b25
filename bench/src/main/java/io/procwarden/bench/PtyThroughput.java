package io.procwarden.bench;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.sun.management.OperatingSystemMXBean;
import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.TerminalSize;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One child read through a pseudo-terminal to its end (issue 15), by each contender: procwarden
 * ({@code ProcessSpec.pty(80x24)}, {@code stdout()} read to the end, then {@code waitFor}) on a
 * platform thread and on a virtual thread, pty4j (JetBrains; JNA and its libpty.so) on a
 * platform thread, and a C {@code forkpty} loop (ptyfloor.c: the floor). Every reader reads
 * 64 KiB at a time. Measured per round: wall time from before the spawn until the child is
 * reaped, time to the first byte, the consuming process's CPU time, platform threads added at
 * the peak, and the bytes received, which must be exactly what the terminal makes of the
 * workload (else the round fails).
 */
final class PtyThroughput {
    private PtyThroughput() {}

    static final TerminalSize SIZE = new TerminalSize(80, 24);
    private static final int BUFFER = 65536;

    /** The pty4j version on the module path (from its jar's name: the jar carries no Maven metadata). */
    static final String PTY4J_VERSION = pty4jVersion();

    enum Who {
        PLATFORM("procwarden, platform thread reads", Svg.PROCWARDEN),
        VIRTUAL("procwarden, virtual thread reads", Svg.PROCWARDEN_LIGHT),
        PTY4J("pty4j " + PTY4J_VERSION + ", platform thread reads", Svg.OTHER2),
        C("C, forkpty + read loop (floor)", Svg.LIMIT);

        final String label;
        final String color;

        Who(String label, String color) {
            this.label = label;
            this.color = color;
        }
    }

    /** One round: nanoseconds, bytes, reads that returned data, platform threads added at the peak. */
    record Round(long wallNs, long firstByteNs, long cpuNs, long bytes, long reads, int threadsAdded) {
        double mbPerSecond() {
            return bytes / 1e6 / (wallNs / 1e9);
        }
    }

    /** {@code seq 1 N}: its bytes on a pipe, and through a terminal (ONLCR: every "\n" becomes "\r\n"). */
    static long seqBytesOnTerminal(long n) {
        long digits = 0;
        for (long lo = 1, d = 1; lo <= n; lo *= 10, d++) {
            digits += (Math.min(n, lo * 10 - 1) - lo + 1) * d;
        }
        return digits + 2 * n;
    }

    /** One round of {@code who} reading {@code command}; fails unless exactly {@code expected} bytes arrive. */
    static Round round(Config cfg, ProcessMonitor monitor, Who who, List<String> command, long expected) throws Exception {
        Round r = switch (who) {
            case PLATFORM -> measured(() -> procwarden(monitor, command));
            case VIRTUAL -> measured(() -> onVirtualThread(() -> procwarden(monitor, command)));
            case PTY4J -> measured(() -> pty4j(command));
            case C -> floor(cfg, command);
        };
        if (r == null) throw new IllegalStateException(CTools.whyNot("ptyfloor"));
        if (r.bytes() != expected) {
            throw new IllegalStateException(who.label + " received " + r.bytes() + " bytes of " + String.join(" ", command)
                    + ", expected " + expected);
        }
        return r;
    }

    /** What a reader gives back: bytes, reads that returned data, nanoseconds from before the spawn to the first byte. */
    private record Read(long bytes, long reads, long firstByteNs) {}

    private interface Reader {
        Read read() throws Exception;
    }

    /** Times a reader on the calling thread: wall, this JVM's CPU, platform threads at the peak. */
    private static Round measured(Reader reader) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int base = threads.getThreadCount();
        threads.resetPeakThreadCount();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Read r = reader.read();
        long wall = System.nanoTime() - t0;
        long cpu = os.getProcessCpuTime() - cpu0;
        return new Round(wall, r.firstByteNs(), cpu, r.bytes(), r.reads(), threads.getPeakThreadCount() - base);
    }

    /** procwarden: the pty master on the monitor's loop; the calling thread reads {@code stdout()}. */
    private static Read procwarden(ProcessMonitor monitor, List<String> command) throws Exception {
        long t0 = System.nanoTime();
        try (ChildProcess c = spec(command).spawn(monitor)) {
            Read r = drain(c.stdout(), t0);
            ExitStatus st = c.waitFor();
            if (st.shellCode() != 0) throw new IllegalStateException("procwarden: " + command + " ended " + st);
            return r;
        }
    }

    /** pty4j as its README starts a child, stderr on the same terminal (as procwarden's and forkpty's). */
    private static Read pty4j(List<String> command) throws Exception {
        Map<String, String> env = pty4jEnv();
        long t0 = System.nanoTime();
        PtyProcess p = pty4jStart(command, env);
        try {
            Read r = drain(p.getInputStream(), t0);
            if (!p.waitFor(300, TimeUnit.SECONDS)) throw new IllegalStateException("pty4j: " + command + " did not exit");
            if (p.exitValue() != 0) throw new IllegalStateException("pty4j: " + command + " exit " + p.exitValue());
            return r;
        } finally {
            p.getOutputStream().close();
            p.getInputStream().close();
            if (p.isAlive()) p.destroyForcibly();
        }
    }

    private static ProcessSpec spec(List<String> command) {
        return ProcessSpec.of(command.getFirst(), command.subList(1, command.size()).toArray(String[]::new))
                .env(Procs.TAG_NAME, Procs.TAG).pty(SIZE);
    }

    private static Map<String, String> pty4jEnv() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put(Procs.TAG_NAME, Procs.TAG);
        env.putIfAbsent("TERM", "xterm");
        return env;
    }

    private static PtyProcess pty4jStart(List<String> command, Map<String, String> env) throws IOException {
        return new PtyProcessBuilder(command.toArray(String[]::new)).setEnvironment(env).setInitialColumns(SIZE.columns())
                .setInitialRows(SIZE.rows()).setRedirectErrorStream(true).start();
    }

    /** What the child's own first {@code stty size} prints ("24 80" when the size was set before it ran). */
    static String firstSttySize(ProcessMonitor monitor, Who who) throws Exception {
        List<String> cmd = List.of(Procs.which("stty"), "size");
        byte[] out;
        if (who == Who.PTY4J) {
            PtyProcess p = pty4jStart(cmd, pty4jEnv());
            try {
                out = p.getInputStream().readAllBytes();
                if (!p.waitFor(60, TimeUnit.SECONDS)) throw new IllegalStateException("pty4j: stty size did not exit");
            } finally {
                p.getOutputStream().close();
                p.getInputStream().close();
                if (p.isAlive()) p.destroyForcibly();
            }
        } else {
            try (ChildProcess c = spec(cmd).spawn(monitor)) {
                out = c.stdout().readAllBytes();
                c.waitFor();
            }
        }
        return new String(out, java.nio.charset.StandardCharsets.US_ASCII).trim();
    }

    private static Read drain(InputStream in, long t0) throws IOException {
        byte[] buf = new byte[BUFFER];
        long first = -1;
        long n = 0;
        long reads = 0;
        for (int r; (r = in.read(buf)) >= 0; ) {
            if (r == 0) continue;
            if (first < 0) first = System.nanoTime() - t0;
            n += r;
            reads++;
        }
        return new Read(n, reads, first);
    }

    private static Read onVirtualThread(Reader reader) throws Exception {
        CompletableFuture<Read> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                done.complete(reader.read());
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        return done.get(300, TimeUnit.SECONDS);
    }

    /** The C floor: one ptyfloor run, its own figures (null when it could not be compiled). */
    private static Round floor(Config cfg, List<String> command) throws Exception {
        Path bin = CTools.binary(cfg, "ptyfloor", "-lutil");
        if (bin == null) return null;
        String[] f = CTools.run(bin, command.toArray(String[]::new)).getLast().split(" ");
        return new Round(Long.parseLong(f[1]), Long.parseLong(f[3]), Long.parseLong(f[5]), Long.parseLong(f[7]), Long.parseLong(f[9]), 0);
    }

    private static String pty4jVersion() {
        try (InputStream in = PtyProcess.class.getResourceAsStream("/META-INF/maven/org.jetbrains.pty4j/pty4j/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "(unknown version)");
            }
        } catch (IOException e) {
            return "(unknown version)";
        }
        String where = PtyProcess.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        var m = java.util.regex.Pattern.compile("pty4j-([0-9][^/]*)\\.jar$").matcher(where);
        return m.find() ? m.group(1) : "(unknown version)";
    }
}
