package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.testing.Children;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Soak: many spawn/exit cycles of {@code /bin/true}, several in parallel, then everything must be
 * back where it started: the same descriptors (by number), the same threads (by name, apart
 * from JDK pools that may start on their own), heap after GC within a tolerance, nothing
 * watched, and no child of this JVM left, zombie or not. One cycle in four reads a stdout pipe
 * to its end, so the pipe paths are soaked too.
 *
 * <p>Sizes are system properties (the defaults fit CI; see docs/reliability.md for the full runs):
 * {@value #CYCLES} (selected backend, pidfd here), {@value #POLLING_CYCLES} (polling backend,
 * whose 50 ms rounds make each cycle slower), {@value #PARALLEL}.
 */
@Tag("slow")
@EnabledOnOs(OS.LINUX)
class SpawnSoakTest {
    static final String CYCLES = "procwarden.soak.cycles";
    static final String POLLING_CYCLES = "procwarden.soak.pollingCycles";
    static final String PARALLEL = "procwarden.soak.parallel";
    /** Heap after GC may grow this much (JIT, interned strings, lazily grown JDK caches): a leak of one object per cycle would not fit. */
    private static final long HEAP_TOLERANCE = 4L << 20;
    /** Threads that JDK pools may start or stop by themselves. */
    private static final List<String> JDK_POOLS = List.of("ForkJoinPool", "CompletableFutureDelayScheduler",
            "process reaper", "Attach Listener", "JFR ");

    @Test
    void soakOnTheSelectedBackend() throws Exception {
        soak(MonitorBackend.selected(), Long.getLong(CYCLES, 10_000)); // CI size; 100,000 by -D (docs/reliability.md)
    }

    @Test
    void soakOnPolling() throws Exception {
        soak(MonitorBackend.POLLING, Long.getLong(POLLING_CYCLES, 2_000));
    }

    private static void soak(MonitorBackend backend, long cycles) throws Exception {
        int parallel = Integer.getInteger(PARALLEL, 8);
        ProcessSpec quiet = ProcessSpec.of("/bin/true").stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                .stderr(Redirect.DISCARD);
        ProcessSpec piped = quiet.stdout(Redirect.PIPE);
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            run(monitor, quiet, piped, Math.min(cycles, 1_000), parallel); // warm-up: JIT, classes, pools
            Snapshot before = Snapshot.take();
            long start = System.nanoTime();
            run(monitor, quiet, piped, cycles, parallel);
            double seconds = (System.nanoTime() - start) / 1e9;
            Snapshot after = Snapshot.take();
            System.out.printf("soak %s: %,d cycles, %d in parallel, %.1f s, %.0f cycles/s; fds %d -> %d, threads %d -> %d,"
                    + " heap after GC %.1f -> %.1f MiB%n", backend.id(), cycles, parallel, seconds, cycles / seconds,
                    before.fds.size(), after.fds.size(), before.threads.size(), after.threads.size(),
                    before.heap / 1048576.0, after.heap / 1048576.0);

            assertThat(monitor.watchedCount()).as("nothing watched").isZero();
            assertThat(after.fds).as("descriptors, by number").isEqualTo(before.fds);
            assertThat(after.threads).as("threads, by name").isEqualTo(before.threads);
            assertThat(after.heap).as("heap after GC").isLessThanOrEqualTo(before.heap + HEAP_TOLERANCE);
            assertThat(Children.zombiesOfThisJvm()).as("zombies among our children").isEmpty();
            assertThat(pids(Children.ofThisJvm())).as("children left").isSubsetOf(before.children);
        }
    }

    /** Runs {@code cycles} spawn/wait cycles on {@code parallel} platform threads; fails on the first wrong outcome. */
    private static void run(ProcessMonitor monitor, ProcessSpec quiet, ProcessSpec piped, long cycles, int parallel)
            throws InterruptedException {
        AtomicLong next = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < parallel; w++) {
            workers.add(Thread.ofPlatform().name("soak-" + w).start(() -> {
                long i;
                while (errors.isEmpty() && (i = next.getAndIncrement()) < cycles) {
                    try {
                        if (i % 4 == 0) {
                            try (ChildProcess p = piped.spawn(monitor)) {
                                if (p.stdout().read() != -1) throw new AssertionError("output from /bin/true");
                                check(p.waitFor(), i);
                            }
                        } else {
                            try (ChildProcess p = quiet.spawn(monitor)) {
                                check(p.waitFor(), i);
                            }
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }
            }));
        }
        for (Thread t : workers) t.join(); // a hang shows as surefire's fork timeout, with a thread dump
        assertThat(errors).as("failed cycles").isEmpty();
        assertThat(next.get()).isGreaterThanOrEqualTo(cycles);
    }

    private static void check(ExitStatus status, long cycle) {
        if (!status.equals(new ExitStatus.Exited(0))) throw new AssertionError("cycle " + cycle + ": " + status);
    }

    private static List<Integer> pids(List<io.procwarden.internal.sys.ProcStat> stats) {
        return stats.stream().map(s -> s.pid()).toList();
    }

    /** What must come back: descriptor numbers, thread names (with counts), heap after GC, children. */
    record Snapshot(TreeSet<Integer> fds, Map<String, Long> threads, long heap, List<Integer> children) {
        static Snapshot take() {
            return new Snapshot(openFds(), liveThreads(), heapAfterGc(), pids(Children.ofThisJvm()));
        }

        private static TreeSet<Integer> openFds() {
            try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
                TreeSet<Integer> fds = s.map(p -> Integer.parseInt(p.getFileName().toString()))
                        .collect(Collectors.toCollection(TreeSet::new));
                return fds; // includes the listing's own descriptor: the same lowest free number both times
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static Map<String, Long> liveThreads() {
            return Thread.getAllStackTraces().keySet().stream()
                    .filter(Thread::isAlive)
                    .map(Thread::getName)
                    .filter(n -> JDK_POOLS.stream().noneMatch(n::startsWith))
                    .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
        }

        private static long heapAfterGc() {
            Runtime rt = Runtime.getRuntime();
            long used = Long.MAX_VALUE;
            // Until a full GC frees nothing more (at most 5): a GC can leave garbage found late
            // (references cleared in one cycle, collected in the next).
            for (int i = 0; i < 5; i++) {
                System.gc();
                long now = rt.totalMemory() - rt.freeMemory();
                if (now >= used) break;
                used = now;
            }
            return used;
        }
    }
}
