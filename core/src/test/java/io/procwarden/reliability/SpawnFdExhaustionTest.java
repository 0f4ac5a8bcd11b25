package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.SpawnException;
import io.procwarden.SyscallException;
import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Resource;
import io.procwarden.internal.ffi.Unistd;
import io.procwarden.testing.Children;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Spawning with RLIMIT_NOFILE used up. The soft limit is lowered to a little above the highest
 * open descriptor (restored afterwards) and every free number below it is taken; then, with
 * exactly k = 0, 1, 2, ... descriptors free, a spawn is attempted until one succeeds. Every
 * step of a spawn that needs a descriptor (pipes, reopening our pipe ends, /dev/null, the
 * preserved fd's copy, the stderr-to-stdout copy, the child's pidfd, the monitor's own epoll and
 * eventfd) therefore fails once, and each failure must be a SpawnException naming EMFILE that
 * leaves exactly k descriptors free, nothing registered with the monitor and no child (running
 * or zombie); the first k that suffices must give a working child.
 */
@EnabledOnOs(OS.LINUX)
class SpawnFdExhaustionTest {
    /** Free slots we ever need at once; the lowered limit leaves this many above the highest open fd. */
    private static final int HEADROOM = 64;

    /** The spec shapes, each using descriptors in a different order. */
    enum Shape {
        /** Three pipes: pipe2, then a reopen through /proc/self/fd for each, then the pidfd. */
        PIPES {
            ProcessSpec spec(int preserved) {
                return ProcessSpec.of("/bin/true").stdin(Redirect.PIPE).stdout(Redirect.PIPE).stderr(Redirect.PIPE);
            }
        },
        /** Nothing opened for stdio: only the pidfd after the child started (it is killed and reaped). */
        INHERIT {
            ProcessSpec spec(int preserved) {
                return ProcessSpec.of("/bin/true");
            }
        },
        /** /dev/null for all three, plus a preserved descriptor's close-on-exec copy. */
        DISCARD_AND_PRESERVED {
            ProcessSpec spec(int preserved) {
                return ProcessSpec.of("/bin/true").stdin(Redirect.DISCARD).stdout(Redirect.DISCARD)
                        .stderr(Redirect.DISCARD).preserveFd(preserved, 3);
            }
        },
        /** stderr merged into an inherited stdout: a copy of our fd 1. */
        STDERR_TO_INHERITED_STDOUT {
            ProcessSpec spec(int preserved) {
                return ProcessSpec.of("/bin/true").stdin(Redirect.DISCARD).stderr(Redirect.TO_STDOUT);
            }
        };

        abstract ProcessSpec spec(int preserved);
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void everyStepFailsClearlyThenSpawnWorksAgain(MonitorBackend backend) throws Exception {
        List<Integer> childrenBefore = pids(Children.ofThisJvm());
        try (ProcessMonitor monitor = ProcessMonitor.create(backend);
                Fd preserved = Unistd.open("/dev/null", Unistd.O_RDONLY, 0)) {
            // Warm up every path (class loading needs descriptors too) with plenty of them free.
            for (Shape shape : Shape.values()) {
                try (ChildProcess p = shape.spec(preserved.number()).spawn(monitor)) {
                    assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(0));
                }
            }
            List<String> log = new ArrayList<>();
            for (Shape shape : Shape.values()) {
                for (int round = 1; round <= 2; round++) {
                    log.addAll(sweep(monitor, shape.spec(preserved.number()), shape + " round " + round));
                }
            }
            log.forEach(System.out::println);
            // Once the descriptors are back, the same specs work.
            for (Shape shape : Shape.values()) {
                try (ChildProcess p = shape.spec(preserved.number()).spawn(monitor)) {
                    assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(0));
                }
            }
            assertThat(monitor.watchedCount()).isZero();
        }
        assertThat(pids(Children.ofThisJvm())).as("no child left, running or zombie").isSubsetOf(childrenBefore);
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void creatingAMonitorFailsClearlyThenWorks(MonitorBackend backend) throws Exception {
        ProcessMonitor.create(backend).close(); // warm up
        long threads = Children.threadsNamed("procwarden-monitor-");
        List<Object> outcomes = new ArrayList<>();
        try (Exhaustion ex = Exhaustion.start()) {
            for (int k = 0; k <= 4; k++) {
                ex.leaveFree(k);
                try {
                    ProcessMonitor m = ProcessMonitor.create(backend);
                    m.close();
                    outcomes.add(k + ": created");
                    break;
                } catch (UncheckedIOException e) {
                    outcomes.add(e);
                    outcomes.add(k + " free before, " + ex.freeNow() + " after");
                }
            }
        }
        System.out.println(outcomes);
        // Both need an epoll fd and an eventfd: pidfd for the exits and the pipes, polling for the
        // pipes (a pipe is always served by the loop, issue 12).
        int failures = 2;
        for (int k = 0; k < failures; k++) {
            assertThat(outcomes.get(2 * k)).isInstanceOfSatisfying(UncheckedIOException.class,
                    e -> assertThat(e).hasMessageContaining("EMFILE").hasMessageContaining(backend.id()));
            assertThat(outcomes.get(2 * k + 1)).isEqualTo(k + " free before, " + k + " after");
        }
        assertThat(outcomes.get(2 * failures)).isEqualTo(failures + ": created");
        assertThat(Children.threadsNamed("procwarden-monitor-")).isEqualTo(threads);
    }

    /**
     * Tries the spec with k = 0, 1, ... free descriptors until it starts; returns a line per
     * attempt. Assertions run after the descriptors are released (AssertJ loads classes).
     */
    private static List<String> sweep(ProcessMonitor monitor, ProcessSpec spec, String label) throws Exception {
        List<Object> outcomes = new ArrayList<>(); // per k: the exception or the exit status; then free-after
        List<Integer> freeAfter = new ArrayList<>();
        List<Integer> watched = new ArrayList<>();
        try (Exhaustion ex = Exhaustion.start()) {
            for (int k = 0; k < HEADROOM / 2; k++) {
                ex.leaveFree(k);
                try (ChildProcess p = spec.spawn(monitor)) {
                    outcomes.add(p.waitFor());
                    break;
                } catch (SpawnException | RuntimeException e) {
                    outcomes.add(e);
                    freeAfter.add(ex.freeNow());
                    watched.add(monitor.watchedCount());
                }
            }
        }
        List<String> lines = new ArrayList<>();
        int successes = 0;
        for (int k = 0; k < outcomes.size(); k++) {
            Object o = outcomes.get(k);
            lines.add(label + ", " + k + " free: " + (o instanceof Throwable t ? t.toString() : o));
            if (o instanceof ExitStatus status) {
                assertThat(status).isEqualTo(new ExitStatus.Exited(0));
                successes++;
                continue;
            }
            int free = k;
            assertThat(o).as(label + " with " + k + " free").isInstanceOfSatisfying(SpawnException.class, e -> {
                assertThat(e.errnoName()).as(e.getMessage()).contains("EMFILE");
                assertThat(e.getMessage()).startsWith("Cannot run program \"/bin/true\": EMFILE (Too many open files)")
                        .doesNotContain("is not open");
            });
            assertThat(freeAfter.get(k)).as(label + ": descriptors free after the failure").isEqualTo(free);
            assertThat(watched.get(k)).as(label + ": nothing registered").isZero();
        }
        assertThat(successes).as(label + ": works once enough descriptors are free").isEqualTo(1);
        return lines;
    }

    private static List<Integer> pids(List<io.procwarden.internal.sys.ProcStat> stats) {
        return stats.stream().map(s -> s.pid()).toList();
    }

    /**
     * RLIMIT_NOFILE lowered to {@link #HEADROOM} above the highest open descriptor, and every
     * free number below it held, so that {@link #leaveFree} controls exactly how many remain.
     * Close releases them all and restores the limit.
     */
    static final class Exhaustion implements AutoCloseable {
        private final Resource.Limit saved;
        private final List<Fd> hog = new ArrayList<>();

        private Exhaustion(Resource.Limit saved) {
            this.saved = saved;
        }

        static Exhaustion start() throws SyscallException {
            Resource.Limit saved = Resource.get(Resource.RLIMIT_NOFILE);
            Exhaustion ex = new Exhaustion(saved);
            boolean ok = false;
            try {
                Resource.set(Resource.RLIMIT_NOFILE, new Resource.Limit(highestOpenFd() + 1 + HEADROOM, saved.hard()));
                ex.takeAll();
                ok = true;
                return ex;
            } finally {
                if (!ok) ex.close();
            }
        }

        private void takeAll() throws SyscallException {
            while (true) {
                try {
                    hog.add(Unistd.open("/dev/null", Unistd.O_RDONLY, 0));
                } catch (SyscallException e) {
                    if (e.errno() != io.procwarden.internal.ffi.Errno.EMFILE) throw e;
                    return;
                }
            }
        }

        /** Takes every free descriptor, then gives back exactly {@code k} (the highest numbers). */
        void leaveFree(int k) throws SyscallException {
            takeAll();
            for (int i = 0; i < k; i++) hog.removeLast().close();
        }

        /** How many descriptors are free now (probed by opening until EMFILE; all closed again). */
        int freeNow() throws SyscallException {
            List<Fd> probe = new ArrayList<>();
            try {
                while (true) {
                    try {
                        probe.add(Unistd.open("/dev/null", Unistd.O_RDONLY, 0));
                    } catch (SyscallException e) {
                        if (e.errno() != io.procwarden.internal.ffi.Errno.EMFILE) throw e;
                        return probe.size();
                    }
                }
            } finally {
                probe.forEach(Fd::close);
            }
        }

        @Override
        public void close() throws SyscallException {
            hog.forEach(Fd::close);
            hog.clear();
            Resource.set(Resource.RLIMIT_NOFILE, saved);
        }

        private static int highestOpenFd() {
            try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
                return s.mapToInt(p -> Integer.parseInt(p.getFileName().toString())).max().orElse(2);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
