package io.procwarden.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.procwarden.testing.PidReuseMain;
import io.procwarden.testing.TestJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pid recycled on purpose, in a new pid namespace: procwarden never touches the process that
 * got the pid, while kill(2) on the bare pid would. {@link PidReuseMain} runs in a forked JVM as
 * pid 1 of the namespace (root only; skipped otherwise) and reports each check; this test
 * requires every one of them.
 */
@EnabledOnOs(OS.LINUX)
class PidReuseTest {
    private static final String UNSHARE = "/usr/bin/unshare";

    @ParameterizedTest
    @ValueSource(strings = {"pidfd", "polling", "pidmode"})
    void aRecycledPidIsNeverTouched(String mode) throws Exception {
        assumeTrue(isRoot(), "needs root: a new pid namespace and writing ns_last_pid");
        assumeTrue(Files.isExecutable(Path.of(UNSHARE)), "needs util-linux unshare");
        List<String> command = new ArrayList<>(List.of(UNSHARE, "--pid", "--fork", "--kill-child", "--mount-proc"));
        command.addAll(TestJvm.command(PidReuseMain.class, List.of("-Xshare:auto", "-XX:+UseSerialGC"), mode));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        boolean ended = p.waitFor(300, TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly(); // --kill-child takes the whole namespace down with it
        String out = output.get(60, TimeUnit.SECONDS);
        System.out.println("[" + mode + "]\n" + out);
        assertThat(ended).as("the namespace run ended").isTrue();
        assertThat(out).contains("RECYCLED pid ");
        assertThat(out.lines().filter(l -> l.startsWith("CHECK ")).toList())
                .hasSize(21)
                .allSatisfy(l -> assertThat(l).startsWith("CHECK ok "));
        assertThat(out).contains("RESULT ok");
        assertThat(p.exitValue()).isZero();
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:"))
                .anyMatch(l -> l.split("\\s+")[2].equals("0")); // effective uid
    }
}
