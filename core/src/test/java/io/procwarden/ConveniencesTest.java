package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.testing.TestJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Output as text, exit-value checks, stdin from bytes, line callbacks, kill on JVM exit. */
@EnabledOnOs({OS.LINUX, OS.MAC})
class ConveniencesTest {

    @Test
    void collectGivesTextWithACap() throws Exception {
        ProcessOutput out = ProcessSpec.of("sh", "-c", "printf hello; printf err >&2").collect(3).get(30, TimeUnit.SECONDS);
        assertThat(out.stdoutText()).isEqualTo("hel");
        assertThat(out.stdoutTruncated()).isTrue();
        assertThat(out.stderrText()).isEqualTo("err");
        assertThat(out.stderrTruncated()).isFalse();
        assertThat(out.requireExitValue()).isSameAs(out);
    }

    @Test
    void inputFromAStringAndFromBytes() throws Exception {
        assertThat(ProcessSpec.of("cat").input("one\ntwo\n").collect().get(30, TimeUnit.SECONDS).stdoutLines())
                .containsExactly("one", "two");
        byte[] big = new byte[1 << 20]; // far more than a pipe holds
        assertThat(ProcessSpec.of("wc", "-c").input(big).collect().get(30, TimeUnit.SECONDS).stdoutText().strip())
                .isEqualTo("1048576");
        // A child that never reads its stdin is not an error.
        assertThat(ProcessSpec.of("true").input(big).collect().get(30, TimeUnit.SECONDS).status())
                .isEqualTo(new ExitStatus.Exited(0));
        assertThat(ProcessSpec.of("cat").input("x").stdin(Redirect.DISCARD).stdin()).isEqualTo(Redirect.DISCARD);
        assertThat(ProcessSpec.of("cat").input("x")).isEqualTo(ProcessSpec.of("cat").input("x".getBytes(StandardCharsets.UTF_8)))
                .isNotEqualTo(ProcessSpec.of("cat").input("y"));
    }

    @Test
    void anUnexpectedExitValueThrowsWithTheOutput() throws Exception {
        ProcessOutput out = ProcessSpec.of("sh", "-c", "echo partial; echo boom >&2; exit 3").collect().get(30, TimeUnit.SECONDS);
        assertThatThrownBy(out::requireExitValue).isInstanceOfSatisfying(ExitValueException.class, e -> {
            assertThat(e.status()).isEqualTo(new ExitStatus.Exited(3));
            assertThat(e.output().stdoutText()).isEqualTo("partial\n");
            assertThat(e.expected()).containsExactly(0);
            assertThat(e).hasMessageContaining("exited with code 3").hasMessageContaining("expected exit code 0")
                    .hasMessageContaining("boom");
        });
        assertThat(out.requireExitValue(0, 3)).isSameAs(out);
        ProcessOutput killed = ProcessSpec.of("sh", "-c", "kill -9 $$").collect().get(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> killed.requireExitValue(137)).isInstanceOf(ExitValueException.class);
        // In a chain: the future fails with it.
        assertThatThrownBy(() -> ProcessSpec.of("false").collect().thenApply(ProcessOutput::requireExitValue).join())
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(ExitValueException.class);
    }

    @Test
    void linesOnTheMonitorThread() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        try (ChildProcess c = ProcessSpec.of("sh", "-c", "printf 'a\\r\\nb\\n\\303\\251t\\303\\251\\nlast'; echo e >&2")
                .stdout(Redirect.PIPE).stderr(Redirect.PIPE).spawn()) {
            var out = c.onStdoutLine(l -> {
                lines.add(l);
                threads.add(Thread.currentThread().getName());
            });
            List<String> err = new CopyOnWriteArrayList<>();
            var errDone = c.onStderrLine(err::add);
            out.get(30, TimeUnit.SECONDS);
            errDone.get(30, TimeUnit.SECONDS);
            assertThat(lines).containsExactly("a", "b", "été", "last");
            assertThat(err).containsExactly("e");
            assertThat(threads).doesNotContain(Thread.currentThread().getName());
        }
    }

    @Test
    void linesOnAnExecutorInOrderWithBackpressure() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> new Thread(r, "line-consumer"));
        try (ChildProcess c = ProcessSpec.of("seq", "1", "100000").stdout(Redirect.PIPE).spawn()) {
            List<String> lines = new CopyOnWriteArrayList<>();
            List<String> threads = new CopyOnWriteArrayList<>();
            c.onStdoutLine(l -> {
                lines.add(l);
                if (threads.isEmpty()) threads.add(Thread.currentThread().getName());
            }, pool).get(60, TimeUnit.SECONDS);
            assertThat(lines).hasSize(100000).startsWith("1", "2").endsWith("100000");
            assertThat(threads).containsExactly("line-consumer");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aConsumerThatThrowsFailsTheFuture() throws Exception {
        try (ChildProcess c = ProcessSpec.of("seq", "1", "10").stdout(Redirect.PIPE).spawn()) {
            var done = c.onStdoutLine(l -> {
                throw new IllegalStateException("consumer gave up at " + l);
            });
            assertThatThrownBy(() -> done.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("gave up at 1");
            assertThat(c.waitFor(java.time.Duration.ofSeconds(30))).isPresent();
        }
    }

    /** A JVM that spawns {@code sleep 600} with killOnJvmExit and returns from main: the hook must kill it. */
    public static final class KillOnExitMain {
        public static void main(String[] args) throws Exception {
            ChildProcess c = ProcessSpec.of("sleep", "600").stdin(Redirect.DISCARD).spawn().killOnJvmExit();
            System.out.println(c.pid());
            System.out.flush();
        }
    }

    @Test
    void killOnJvmExitKillsTheChildWhenTheJvmEnds() throws Exception {
        Process jvm = new ProcessBuilder(TestJvm.command(KillOnExitMain.class, List.of("-Xshare:auto")))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long pid;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
            pid = Long.parseLong(r.readLine().strip());
        }
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(jvm.exitValue()).isZero();
        // Reparented to init (or a subreaper) and reaped there once killed; if the hook had not run,
        // it would still be sleeping.
        ProcessHandle.of(pid).ifPresent(h -> {
            boolean stillSleeping = h.info().command().orElse("").endsWith("sleep");
            if (stillSleeping) h.destroyForcibly();
            assertThat(stillSleeping).as("pid %d outlived the JVM", pid).isFalse();
        });
    }
}
