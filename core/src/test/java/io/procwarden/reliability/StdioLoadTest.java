package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessOutput;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.internal.ffi.Resource;
import io.procwarden.testing.Children;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stdio under load (issue 12): 1,000 children with output at once on the one loop thread, and
 * 1,000 virtual threads each reading a child, on this 2-core machine. Nothing may leak: fds,
 * threads, pipe ends on the loop.
 */
@Tag("slow")
@EnabledOnOs(OS.LINUX)
class StdioLoadTest {
    static final int N = 1000;

    /** Four descriptors per child at most (three pipe ends and a pidfd): raise the soft limit if it is lower. */
    @BeforeAll
    static void enoughDescriptors() throws Exception {
        Resource.Limit l = Resource.get(Resource.RLIMIT_NOFILE);
        long need = 4L * N + 1000;
        if (l.soft() != Resource.RLIM_INFINITY && l.soft() < need) {
            long soft = l.hard() == Resource.RLIM_INFINITY ? need : Math.min(need, l.hard());
            Resource.set(Resource.RLIMIT_NOFILE, new Resource.Limit(soft, l.hard()));
        }
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void thousandChildrenWithOutputCollectedAtOnceOnOneThread(MonitorBackend backend) throws Exception {
        long fds = Children.openFds();
        long threads = Thread.getAllStackTraces().size();
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            List<CompletableFuture<ProcessOutput>> outputs = new ArrayList<>(N);
            List<ChildProcess> children = new ArrayList<>(N);
            for (int i = 0; i < N; i++) {
                ChildProcess c = ProcessSpec.of("sh", "-c", "seq 1 20000; echo " + i + " >&2").stdin(Redirect.DISCARD)
                        .stdout(Redirect.PIPE).stderr(Redirect.PIPE).spawn(monitor);
                children.add(c);
                outputs.add(c.collect());
            }
            assertThat(Thread.getAllStackTraces().size() - threads).as("threads added: the loop's").isLessThanOrEqualTo(2);
            for (int i = 0; i < N; i++) {
                ProcessOutput o = outputs.get(i).get(120, TimeUnit.SECONDS);
                assertThat(o.status()).isEqualTo(new ExitStatus.Exited(0));
                assertThat(o.stdout()).hasSize(108894); // seq 1 20000 | wc -c
                assertThat(o.stderrText()).isEqualTo(i + "\n");
                assertThat(o.cutOff()).isFalse();
            }
            for (ChildProcess c : children) c.close();
            assertThat(Access.loop(monitor).pipes().openEnds()).isZero();
        }
        assertThat(Children.openFds()).as("descriptors leaked").isLessThanOrEqualTo(fds);
        assertThat(Children.zombiesOfThisJvm()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void thousandVirtualThreadsReadThousandChildrenAndOthersStillRun(MonitorBackend backend) throws Exception {
        long fds = Children.openFds();
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            List<ChildProcess> children = new ArrayList<>(N);
            List<CompletableFuture<String>> reads = new ArrayList<>(N);
            long start = System.nanoTime();
            for (int i = 0; i < N; i++) {
                // Silent for a second, then one line: every reader parks on a silent pipe meanwhile.
                ChildProcess c = ProcessSpec.of("sh", "-c", "sleep 1; echo " + i).stdin(Redirect.DISCARD)
                        .stdout(Redirect.PIPE).stderr(Redirect.DISCARD).spawn(monitor);
                children.add(c);
                CompletableFuture<String> f = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try (var in = c.stdout()) {
                        f.complete(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
                    } catch (Throwable t) {
                        f.completeExceptionally(t);
                    }
                });
                reads.add(f);
            }
            // With the readers parked (not holding carriers), another virtual thread runs at once.
            long t0 = System.nanoTime();
            CompletableFuture<Void> other = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> other.complete(null));
            other.get(60, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(500));
            for (int i = 0; i < N; i++) {
                assertThat(reads.get(i).get(120, TimeUnit.SECONDS)).isEqualTo(i + "\n");
            }
            // Readers on their own threads on the JDK took 20 s for 40 such children (issue 12).
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
            for (ChildProcess c : children) {
                c.onExit().get(60, TimeUnit.SECONDS);
                c.close();
            }
            assertThat(Access.loop(monitor).pipes().openEnds()).isZero();
        }
        assertThat(Children.openFds()).as("descriptors leaked").isLessThanOrEqualTo(fds);
    }
}
