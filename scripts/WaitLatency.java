import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * How long after a non-child's death {@code procwarden wait} reports it, against the library
 * in a warm JVM (scripts/measure-wait-latency.sh runs this; java WaitLatency.java is a
 * single-file source launch with procwarden.jar on the class path).
 *
 * <p>Each round starts an orphan {@code sleep} (a shell's background job; the shell exits,
 * so the sleep is nobody's child here), then, interleaved: (a) the library: this JVM's
 * monitor watches it, the clock starts just before kill -9 and stops in the future's
 * callback; (b) the CLI: a fresh {@code procwarden wait -v PID} (the command line given),
 * the clock starts once it said "watching" and just before kill -9, and stops when its line
 * arrives on the pipe. Both clocks are this JVM's; (b) includes the pipe and this JVM's
 * reader thread waking up (tens of microseconds). Medians, p90 and max in ms.
 *
 * <p>Usage: {@code java -cp procwarden.jar WaitLatency.java ROUNDS CLI-COMMAND...}
 */
public final class WaitLatency {
    private WaitLatency() {}

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        List<String> cli = List.of(args).subList(1, args.length);
        try (ProcessMonitor monitor = ProcessMonitor.create()) {
            for (int i = 0; i < 100; i++) { // the library's figure is for a warm JVM, as the benchmarks'
                library(monitor);
            }
            double[] lib = new double[rounds];
            double[] cmd = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                lib[i] = library(monitor);
                cmd[i] = command(cli);
            }
            System.out.printf("library, warm (ProcessMonitor.watch, in this JVM): %s%n", stats(lib));
            System.out.printf("procwarden wait, a new process each round:         %s%n", stats(cmd));
            Arrays.sort(lib);
            Arrays.sort(cmd);
            System.out.printf("ratio of medians: %.2fx%n", median(cmd) / median(lib));
        }
    }

    private static double library(ProcessMonitor monitor) throws Exception {
        long pid = orphan();
        CompletableFuture<Long> seen = new CompletableFuture<>();
        CompletableFuture<ExitStatus> f = monitor.watch(pid);
        f.whenComplete((s, e) -> seen.complete(System.nanoTime()));
        long t0 = System.nanoTime();
        kill(pid);
        return (seen.get(60, TimeUnit.SECONDS) - t0) / 1e6;
    }

    private static double command(List<String> cli) throws Exception {
        long pid = orphan();
        List<String> line = new ArrayList<>(cli);
        line.addAll(List.of("wait", "-v", Long.toString(pid)));
        Process p = new ProcessBuilder(line).start();
        p.getOutputStream().close();
        try {
            BlockingQueue<long[]> out = lines(p.getInputStream(), null);
            BlockingQueue<long[]> err = lines(p.getErrorStream(), "procwarden: watching");
            if (err.poll(60, TimeUnit.SECONDS) == null) {
                throw new IllegalStateException("no \"watching\" line from " + line);
            }
            long t0 = System.nanoTime();
            kill(pid);
            long[] t1 = out.poll(60, TimeUnit.SECONDS);
            if (t1 == null) {
                throw new IllegalStateException("no exit line from " + line);
            }
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(line + " exited " + (p.isAlive() ? "late" : p.exitValue()));
            }
            return (t1[0] - t0) / 1e6;
        } finally {
            p.destroyForcibly();
        }
    }

    /** Each line's arrival time (only lines starting with {@code prefix}, if given), read by a thread of its own. */
    private static BlockingQueue<long[]> lines(InputStream in, String prefix) {
        BlockingQueue<long[]> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String s; (s = r.readLine()) != null; ) {
                    long now = System.nanoTime();
                    if (prefix == null || s.startsWith(prefix)) q.add(new long[] {now});
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return q;
    }

    /** A sleep whose parent (a shell) has already exited: not our child. */
    private static long orphan() throws IOException, InterruptedException {
        Process sh = new ProcessBuilder("sh", "-c", "sleep 600 </dev/null >/dev/null 2>&1 & echo $!").start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.US_ASCII))) {
            long pid = Long.parseLong(r.readLine().strip());
            sh.waitFor();
            return pid;
        }
    }

    private static void kill(long pid) {
        ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid)).destroyForcibly();
    }

    private static String stats(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format("median %.3f ms, p90 %.3f ms, max %.3f ms (n=%d)", median(s), s[(int) Math.min(s.length - 1,
                Math.ceil(s.length * 0.9) - 1)], s[s.length - 1], s.length);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
