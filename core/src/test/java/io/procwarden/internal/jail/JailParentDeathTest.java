package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.JailSpec;
import io.procwarden.ProcessIdentity;
import io.procwarden.ProcessMonitor;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import io.procwarden.Signal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The parent-death signal (setpriv) and bubblewrap's --die-with-parent, for real: a second JVM
 * starts jailed children and is killed with SIGKILL; the children must end. And the reason for
 * the spawner thread: the kernel's "parent" is the spawning thread.
 */
@EnabledOnOs(OS.LINUX)
class JailParentDeathTest {

    @Test
    void childrenDieWithTheJvmThatStartedThem() throws Exception {
        JailFixture.requireBwrap();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process jvm = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), JailParentDeathHelper.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<String, Integer> pids = new LinkedHashMap<>();
        List<CompletableFuture<ExitStatus>> ends = new ArrayList<>();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.US_ASCII));
            CompletableFuture.runAsync(() -> {
                try {
                    for (String line; (line = r.readLine()) != null && !line.equals("ready"); ) {
                        String[] kv = line.split(" ");
                        pids.put(kv[0], Integer.parseInt(kv[1]));
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(JailFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            System.out.println("[jail] children of the helper JVM " + jvm.pid() + ": " + pids);
            assertThat(pids).containsOnlyKeys("setpriv", "bwrap", "sandboxed", "from-thread");
            for (int pid : pids.values()) {
                // pid + start time, so a reused pid can never be mistaken for the child
                ProcessIdentity id = ProcessIdentity.of(pid).orElseThrow(() -> new AssertionError("pid " + pid + " already gone"));
                ends.add(ProcessMonitor.shared().watch(id));
            }
            assertThat(ends).as("all alive while the JVM lives (also the one whose spawning thread ended)")
                    .noneMatch(CompletableFuture::isDone);
        } finally {
            jvm.destroyForcibly();
            assertThat(jvm.waitFor(JailFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
        CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).get(JailFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void aChildWithAParentDeathSignalIsTheSpawnerThreadsChild() throws Exception {
        try (JailFixture jail = new JailFixture();
                JailFixture.Talk pinned = jail.new Talk(JailSpec.none().parentDeathSignal(Signal.KILL), "/bin/cat");
                JailFixture.Talk free = jail.new Talk(JailSpec.none().noNewPrivileges(), "/bin/cat")) {
            assertThat(childrenOfThread(SpawnThread.threadName().substring(0, 15))).contains(pinned.child.pid())
                    .doesNotContain(free.child.pid());
            assertThat(childrenOfThread(null)).contains(free.child.pid());
        }
    }

    @Test
    void withoutTheSpawnerThreadTheChildWouldDieWithItsSpawningThread() throws Exception {
        // The bug class the spawner thread avoids: setpriv --pdeathsig, spawned (plainly, from the
        // calling thread) from a thread that then ends.
        CompletableFuture<ChildProcess> started = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                ChildProcess p = ProcessSpec.of("/usr/bin/setpriv", "--pdeathsig=KILL", "--", "/bin/sh", "-c",
                        "echo ready; exec sleep 1000").stdin(Redirect.DISCARD).stdout(Redirect.PIPE).spawn();
                started.complete(p);
                p.stdout().readNBytes(6); // "ready\n": pdeathsig is set
            } catch (Exception e) {
                started.completeExceptionally(e);
            }
        }, "short-lived-spawner");
        t.start();
        t.join();
        try (ChildProcess p = started.get(JailFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            assertThat(p.onExit().get(JailFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        }
    }

    /** Children of our threads named {@code comm} (the kernel keeps 15 characters), or of this thread when null. */
    private static List<Integer> childrenOfThread(String comm) throws Exception {
        List<Integer> out = new ArrayList<>();
        String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                String name = Files.readString(t.resolve("comm")).trim();
                boolean match = comm == null ? t.getFileName().toString().equals(self) : name.equals(comm);
                if (!match) continue;
                String children = new String(io.procwarden.internal.sys.ProcFs.readFile(t.resolve("children")),
                        StandardCharsets.US_ASCII).trim();
                for (String p : children.split("\\s+")) {
                    if (!p.isEmpty()) out.add(Integer.parseInt(p));
                }
            }
        }
        return out;
    }
}
