package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.Signal;
import io.procwarden.internal.ffi.Signals;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The stolen-child bug, in bulk: {@value #RUNS} {@code ProcessBuilder} children per backend, each
 * watched by procwarden while it runs, then ended by an exit code or a signal. The JDK reaps
 * them (its reaper thread sits in waitpid); procwarden only observes. The JDK's status must be
 * exact every time (a child reaped by procwarden would make the JDK report 0, a code no run
 * uses), and procwarden's own status must be exact too where the kernel keeps the status of
 * reaped processes (PIDFD_INFO_EXIT), else NOT_OUR_CHILD: never a wrong one.
 *
 * <p>Children run {@code sh -c 'ulimit -c 0; read x; exit N'}: blocked in read(2) until the test
 * closes their stdin (exit N) or signals them (alive and unreaped then, so the pid is theirs),
 * {@value #BATCH} at a time.
 */
@Tag("slow")
@EnabledOnOs(OS.LINUX)
class JdkChildrenNotStolenTest {
    static final int RUNS = 1_000;
    static final int BATCH = 50;
    private static final Signal[] SIGNALS = {Signal.TERM, Signal.KILL, Signal.SEGV, Signal.USR1};

    private record Run(Process process, int code, Signal signal, CompletableFuture<ExitStatus> watch) {
        ExitStatus expected() {
            return signal == null ? new ExitStatus.Exited(code) : new ExitStatus.Signaled(signal, false);
        }
    }

    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void theJdksStatusIsExactAndOursNeverWrong(MonitorBackend backend) throws Exception {
        boolean exitInfo = ProcessMonitor.nonChildStatusUnavailabilityCause().isEmpty();
        int jdkWrong = 0;
        int oursExact = 0;
        int oursUnknown = 0;
        List<String> wrong = new ArrayList<>();
        try (ProcessMonitor monitor = ProcessMonitor.create(backend)) {
            for (int start = 0; start < RUNS; start += BATCH) {
                List<Run> batch = new ArrayList<>();
                for (int i = start; i < start + BATCH; i++) {
                    int code = 1 + i % 200;
                    Signal signal = i % 3 == 0 ? null : SIGNALS[i % SIGNALS.length];
                    Process p = new ProcessBuilder("/bin/sh", "-c", "ulimit -c 0; read x; exit " + code).start();
                    batch.add(new Run(p, code, signal, monitor.watch(p.pid())));
                }
                for (Run r : batch) {
                    if (r.signal() == null) {
                        r.process().getOutputStream().close();
                    } else {
                        Signals.kill((int) r.process().pid(), r.signal().number()); // blocked in read: alive, unreaped
                    }
                }
                for (Run r : batch) {
                    assertThat(r.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
                    int jdk = r.process().exitValue();
                    if (jdk != r.expected().shellCode()) {
                        jdkWrong++;
                        wrong.add("JDK " + r.process().pid() + ": " + jdk + " instead of " + r.expected().shellCode());
                    }
                    ExitStatus ours = r.watch().get(60, TimeUnit.SECONDS);
                    if (ours.equals(r.expected())) {
                        oursExact++;
                    } else if (!exitInfo && ours.equals(new ExitStatus.Unknown(ExitStatus.UnknownReason.NOT_OUR_CHILD))) {
                        oursUnknown++;
                    } else {
                        wrong.add("procwarden " + r.process().pid() + ": " + ours + " instead of " + r.expected());
                    }
                    r.process().getInputStream().close();
                    r.process().getErrorStream().close();
                }
            }
            assertThat(monitor.watchedCount()).isZero();
        }
        System.out.printf("%s: %d ProcessBuilder children; JDK status wrong %d; procwarden exact %d, unknown %d%n",
                backend.id(), RUNS, jdkWrong, oursExact, oursUnknown);
        assertThat(wrong).as("wrong statuses").isEmpty();
        assertThat(jdkWrong).isZero();
        if (exitInfo) assertThat(oursExact).isEqualTo(RUNS);
    }
}
