package io.procwarden.bench;

import com.sun.management.OperatingSystemMXBean;
import com.zaxxer.nuprocess.NuAbstractProcessHandler;
import com.zaxxer.nuprocess.NuProcess;
import com.zaxxer.nuprocess.NuProcessBuilder;
import io.procwarden.ChildProcess;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import java.io.File;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Draining N children's stdout (issue 12): every child writes 1 MiB ({@code head -c 1048576
 * /dev/zero}) or is chatty ({@code seq 1 200000}), and every byte is consumed. Contenders:
 * procwarden push (a Flow subscriber per child, all served by the monitor thread), procwarden
 * pull (a virtual thread per child), the JDK with a platform thread per stream, the JDK with a
 * virtual thread per stream, NuProcess (its event threads), and a C program that drains all
 * pipes in one epoll loop (drainfloor.c: the floor). Each measurement runs in a fresh JVM after
 * a warm-up of the same kind; measured: wall time from the first spawn until every byte is read
 * and every child has exited, the JVM's CPU time, threads added at the peak, peak heap, bytes.
 */
public final class Stdio {
    private Stdio() {}

    private static final String RESULT = "RESULT ";

    enum Who {
        PUSH("push", "procwarden push", Svg.PROCWARDEN),
        PULL("pull", "procwarden pull, virtual threads", Svg.PROCWARDEN_LIGHT),
        JDK_PLATFORM("jdk-platform", "JDK, platform thread per stream", Svg.JDK),
        JDK_VIRTUAL("jdk-virtual", "JDK, virtual thread per stream", Svg.OTHER2),
        NUPROCESS("nuprocess", "NuProcess " + NuProcessPeer.VERSION, Svg.NUPROCESS),
        C("c", "C, one epoll loop (floor)", Svg.LIMIT);

        final String id;
        final String label;
        final String color;

        Who(String id, String label, String color) {
            this.id = id;
            this.label = label;
            this.color = color;
        }

        static Who of(String id) {
            for (Who w : values()) if (w.id.equals(id)) return w;
            throw new IllegalArgumentException("unknown contender " + id);
        }
    }

    enum Load {
        BYTES("1 MiB each", List.of("head", "-c", "1048576", "/dev/zero")),
        CHATTY("seq 1 200000", List.of("seq", "1", "200000"));

        final String label;
        final List<String> command;

        Load(String label, List<String> command) {
            this.label = label;
            this.command = command;
        }

        List<String> resolved() {
            List<String> c = new ArrayList<>(command);
            c.set(0, Procs.which(c.getFirst()));
            return c;
        }
    }

    /** One measurement. */
    record Result(long wallNs, long cpuNs, long threadsAdded, long heapPeak, long bytes) {
        double mib() {
            return bytes / 1048576.0;
        }

        double mibPerSecond() {
            return mib() / (wallNs / 1e9);
        }

        double cpuMsPerMib() {
            return cpuNs / 1e6 / mib();
        }
    }

    /** {@code Stdio WHO LOAD N}, in a fresh JVM: warms up, measures once, prints the result. */
    public static void main(String[] args) throws Exception {
        Who who = Who.of(args[0]);
        Load load = Load.valueOf(args[1]);
        int n = Integer.parseInt(args[2]);
        // Threads are counted against the JVM as it started: the JDK's reapers and NuProcess's
        // event threads made during the warm-up linger, and are theirs.
        int baseThreads = ManagementFactory.getThreadMXBean().getThreadCount();
        BenchNative.raiseNofileSoftLimit(Long.MAX_VALUE);
        for (int i = 0; i < 5; i++) measure(who, load, 100, baseThreads);
        Result r = measure(who, load, n, baseThreads);
        System.out.println(RESULT + r.wallNs() + " " + r.cpuNs() + " " + r.threadsAdded() + " " + r.heapPeak() + " " + r.bytes());
        System.exit(0); // NuProcess's event threads are not daemons
    }

    static Result measure(Who who, Load load, int n, int baseThreads) throws Exception {
        List<String> cmd = load.resolved();
        Census.heapAfterGc();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        threads.resetPeakThreadCount();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        long bytes = switch (who) {
            case PUSH -> procwarden(cmd, n, true);
            case PULL -> procwarden(cmd, n, false);
            case JDK_PLATFORM -> jdk(cmd, n, false);
            case JDK_VIRTUAL -> jdk(cmd, n, true);
            case NUPROCESS -> nuProcess(cmd, n);
            case C -> throw new IllegalArgumentException("the C floor runs as its own program");
        };
        long wall = System.nanoTime() - t0;
        long cpu = os.getProcessCpuTime() - cpu0;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new Result(wall, cpu, threads.getPeakThreadCount() - baseThreads, peak, bytes);
    }

    private static long procwarden(List<String> cmd, int n, boolean push) throws Exception {
        AtomicLong total = new AtomicLong();
        List<CompletableFuture<?>> done = new ArrayList<>(n);
        try (ProcessMonitor monitor = ProcessMonitor.create(MonitorBackend.PIDFD)) {
            ProcessSpec spec = ProcessSpec.of(cmd.getFirst(), cmd.subList(1, cmd.size()).toArray(String[]::new))
                    .stdin(Redirect.DISCARD).stdout(Redirect.PIPE).stderr(Redirect.DISCARD);
            List<ChildProcess> children = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ChildProcess c = spec.spawn(monitor);
                children.add(c);
                CompletableFuture<Void> read = new CompletableFuture<>();
                if (push) {
                    c.stdoutPublisher().subscribe(new Counter(total, read));
                } else {
                    Thread.ofVirtual().start(() -> drain(c.stdout(), total, read));
                }
                done.add(read);
                done.add(c.onExit());
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(600, TimeUnit.SECONDS);
            for (ChildProcess c : children) c.close();
        }
        return total.get();
    }

    private static long jdk(List<String> cmd, int n, boolean virtual) throws Exception {
        AtomicLong total = new AtomicLong();
        List<CompletableFuture<?>> done = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Process p = Procs.jdk(cmd.toArray(String[]::new)).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            CompletableFuture<Void> read = new CompletableFuture<>();
            Runnable r = () -> drain(p.getInputStream(), total, read);
            if (virtual) Thread.ofVirtual().start(r);
            else Thread.ofPlatform().start(r);
            done.add(read);
            done.add(p.onExit());
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(600, TimeUnit.SECONDS);
        return total.get();
    }

    private static long nuProcess(List<String> cmd, int n) throws Exception {
        AtomicLong total = new AtomicLong();
        List<CompletableFuture<?>> done = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            NuProcessBuilder b = new NuProcessBuilder(cmd);
            b.setProcessListener(new NuAbstractProcessHandler() {
                @Override
                public void onStdout(ByteBuffer buffer, boolean closed) {
                    total.addAndGet(buffer.remaining());
                    buffer.position(buffer.limit());
                }

                @Override
                public void onExit(int exitCode) {
                    exit.complete(exitCode);
                }
            });
            NuProcess p = b.start();
            if (p == null) throw new IllegalStateException("NuProcess could not start " + cmd);
            p.closeStdin(true);
            done.add(exit);
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(600, TimeUnit.SECONDS);
        return total.get();
    }

    private static void drain(InputStream in, AtomicLong total, CompletableFuture<Void> done) {
        byte[] buf = new byte[65536];
        long n = 0;
        try (in) {
            for (int r; (r = in.read(buf)) >= 0; ) n += r;
            total.addAndGet(n);
            done.complete(null);
        } catch (Throwable t) {
            done.completeExceptionally(t);
        }
    }

    /** Unbounded demand; counts on the monitor thread. */
    private record Counter(AtomicLong total, CompletableFuture<Void> done) implements Flow.Subscriber<ByteBuffer> {
        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(ByteBuffer item) {
            total.addAndGet(item.remaining());
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }
    }

    /** One contender at one N in a fresh JVM (the C floor: its own program). */
    static Result fresh(Config cfg, Who who, Load load, int n) throws Exception {
        if (who == Who.C) {
            Path bin = CTools.binary(cfg, "drainfloor");
            if (bin == null) return null;
            List<String> args = new ArrayList<>(List.of(Integer.toString(n)));
            args.addAll(load.resolved());
            String[] f = CTools.run(bin, args.toArray(String[]::new)).getLast().split(" ");
            return new Result(Long.parseLong(f[1]), Long.parseLong(f[3]), 1, 0, Long.parseLong(f[5]));
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Stdio.class.getName(), who.id, load.name(),
                Integer.toString(n)));
        Process p = Procs.jdk(cmd.toArray(String[]::new)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        Result result = null;
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.startsWith(RESULT)) {
                    System.out.println(line);
                    continue;
                }
                String[] f = line.substring(RESULT.length()).split(" ");
                result = new Result(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                        Long.parseLong(f[4]));
            }
        }
        if (!p.waitFor(900, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the " + who.label + " N=" + n + " JVM did not finish");
        }
        if (p.exitValue() != 0 || result == null) {
            throw new IllegalStateException("the " + who.label + " N=" + n + " JVM failed: exit " + p.exitValue());
        }
        return result;
    }

    static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
