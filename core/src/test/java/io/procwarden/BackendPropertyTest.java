package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.testing.TestJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * An invalid {@code -Dprocwarden.monitor.backend} gives one clear error naming the value, on
 * every call, and poisons nothing: it used to fail the shared monitor's class initialisation
 * (ExceptionInInitializerError with a null message), then every later spawn with
 * NoClassDefFoundError. Run in a fresh JVM, where nothing has started the shared monitor yet.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
class BackendPropertyTest {

    @Test
    void aBadValueFailsEveryCallClearlyAndPoisonsNothing() throws Exception {
        List<String> command = TestJvm.command(Main.class,
                List.of("-Xshare:auto", "-D" + MonitorBackend.PROPERTY + "=Bogus"));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly();
        String out = output.get(60, TimeUnit.SECONDS);
        assertThat(ended).as("the child JVM ended:\n%s", out).isTrue();
        List<String> lines = out.lines().filter(l -> l.startsWith("CALL ")).toList();
        String clear = "java.lang.IllegalArgumentException: -Dprocwarden.monitor.backend=Bogus: "
                + "unknown process monitor backend \"Bogus\" (valid: pidfd, kqueue, polling, auto)";
        assertThat(lines).as(out).containsExactly(
                "CALL shared " + clear,
                "CALL shared " + clear,
                "CALL selected " + clear,
                "CALL create " + clear,
                "CALL spawn " + clear,
                "CALL spawn " + clear,
                "CALL fixed shared works: " + new ExitStatus.Exited(3));
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** The child JVM: each call on its own line, what it threw or what it gave. */
    static final class Main {
        public static void main(String[] args) throws Exception {
            call("shared", ProcessMonitor::shared);
            call("shared", ProcessMonitor::shared);
            call("selected", MonitorBackend::selected);
            call("create", ProcessMonitor::create);
            call("spawn", () -> ProcessSpec.of("true").spawn());
            call("spawn", () -> ProcessSpec.of("true").spawn());
            // Fixed in the same JVM: the shared monitor starts now, as if nothing had happened.
            System.clearProperty(MonitorBackend.PROPERTY);
            try (ChildProcess c = ProcessSpec.of("sh", "-c", "exit 3").spawn()) {
                System.out.println("CALL fixed shared works: " + c.waitFor());
            }
        }

        private static void call(String what, Call c) {
            try {
                System.out.println("CALL " + what + " returned " + c.run());
            } catch (Throwable t) {
                System.out.println("CALL " + what + " " + t);
            }
        }

        @FunctionalInterface
        interface Call {
            Object run() throws Exception;
        }
    }
}
