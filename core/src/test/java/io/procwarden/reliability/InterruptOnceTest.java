package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.MonitorBackend;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.testing.Blocked;
import io.procwarden.testing.CpuAffinity;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One interrupt, one InterruptedException. {@code Thread.interrupt()} sets the interrupt status,
 * and only then closes the interruptible channel the thread is blocked in at that moment. In
 * between, the thread may have seen the status, reported it (here: a
 * {@code CompletableFuture.get()} of its own threw) and begun a wait of ours that is such a
 * channel (CallerReap, BlockingPoll): that late close must not become a second
 * InterruptedException for the one interrupt. Waker and waiter share one CPU, so that the woken
 * waiter tends to run while the waker is between the two steps (without the fix this failed
 * within the first few of 300 rounds, every time).
 */
@EnabledOnOs(OS.LINUX)
class InterruptOnceTest {
    private static final long LONG = 60;

    /** A {@code cat} that lives until we close its stdin, then exits 0. */
    private static ProcessSpec cat() {
        return ProcessSpec.of(List.of("cat")).stdin(Redirect.PIPE).stdout(Redirect.DISCARD).stderr(Redirect.DISCARD);
    }

    /** waitFor() right after: on a platform thread with pidfds it waits in CallerReap's poll(2). */
    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void oneInterruptIsReportedOnceWhenTheThreadWaitsForTheChildRightAfter(MonitorBackend backend) throws Exception {
        try (ProcessMonitor monitor = ProcessMonitor.create(backend); ChildProcess p = cat().spawn(monitor)) {
            interruptOnceThenWaitAgain(p::waitFor, "ChildProcess.waitFor", Blocked::inWaitFor);
            assertThat(p.isAlive()).isTrue();
            assertThat(monitor.watchedCount()).isEqualTo(1);
            p.stdin().close();
            assertThat(p.waitFor(Duration.ofSeconds(LONG))).contains(new ExitStatus.Exited(0));
        }
    }

    /** The same for a platform thread that reads a pipe right after: poll(2) in a BlockingPoll. */
    @ParameterizedTest
    @EnumSource(value = MonitorBackend.class, names = {"PIDFD", "POLLING"})
    void oneInterruptIsReportedOnceWhenTheThreadReadsAPipeRightAfter(MonitorBackend backend) throws Exception {
        try (ProcessMonitor monitor = ProcessMonitor.create(backend);
                ChildProcess p = cat().stdout(Redirect.PIPE).spawn(monitor)) {
            interruptOnceThenWaitAgain(() -> {
                try {
                    return p.stdout().read();
                } finally {
                    Thread.interrupted(); // InterruptedIOException leaves it set, as the JDK's channels do
                }
            }, "a pipe read", Blocked::inPipeWait);
            p.stdin().close();
            assertThat(p.stdout().read()).isEqualTo(-1);
            assertThat(p.waitFor(Duration.ofSeconds(LONG))).contains(new ExitStatus.Exited(0));
        }
    }

    /** A wait that only an interrupt ends. */
    private interface Wait {
        Object await() throws Exception;
    }

    /**
     * Round after round, a platform thread is interrupted in a CompletableFuture.get() of its own,
     * goes straight into {@code second}, and is interrupted there too: each interrupt must end
     * exactly one of the two waits.
     */
    private static void interruptOnceThenWaitAgain(Wait second, String what, Blocked.Where inSecond) throws Exception {
        int rounds = 300;
        int cpu = CpuAffinity.firstAllowed();
        CpuAffinity pinned = CpuAffinity.pin(cpu);
        try {
            BlockingQueue<Object> seen = new LinkedBlockingQueue<>();
            Thread waiter = Thread.ofPlatform().name("rewaiter").daemon(true).start(() -> {
                CpuAffinity alsoPinned = CpuAffinity.pin(cpu);
                try {
                    for (int i = 0; i < rounds; i++) {
                        try {
                            seen.add(new CompletableFuture<Void>().get()); // only an interrupt ends it
                        } catch (InterruptedException | ExecutionException e) {
                            seen.add(e);
                        }
                        try {
                            seen.add(second.await()); // the same interrupt must not end this one
                        } catch (Exception e) {
                            seen.add(e);
                        }
                    }
                } finally {
                    alsoPinned.close();
                }
            });
            for (int i = 0; i < rounds; i++) {
                Blocked.await(waiter, seen, "a CompletableFuture of its own (round " + i + ")", InterruptOnceTest::inGate);
                waiter.interrupt();
                assertThat(seen.poll(LONG, TimeUnit.SECONDS)).as("round " + i).isInstanceOf(InterruptedException.class);
                // Fails if the second wait ended, on the interrupt just reported.
                Blocked.await(waiter, seen, what + " (round " + i + ")", inSecond);
                waiter.interrupt();
                assertThat(seen.poll(LONG, TimeUnit.SECONDS)).as("round " + i)
                        .isInstanceOfAny(InterruptedException.class, InterruptedIOException.class);
            }
            assertThat(waiter.join(Duration.ofSeconds(LONG))).isTrue();
            assertThat(seen).isEmpty();
        } finally {
            pinned.close();
        }
    }

    /** The waiter's own wait, not one of ours: a CompletableFuture.get() outside ChildProcess.waitFor. */
    private static boolean inGate(Thread.State state, StackTraceElement[] stack) {
        return Blocked.parkedInFutureGet(state, stack) && !Blocked.has(stack, "io.procwarden.ChildProcess", "waitFor");
    }
}
