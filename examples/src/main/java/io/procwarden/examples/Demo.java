package io.procwarden.examples;

import io.procwarden.ChildProcess;
import io.procwarden.ExitStatus;
import io.procwarden.ExitValueException;
import io.procwarden.Pipeline;
import io.procwarden.ProcessOutput;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Each convenience of procwarden and a pipeline, as a user would write them; every result is
 * checked, and a wrong one ends the program with status 1 (failing the build that runs it).
 */
public final class Demo {
    private Demo() {}

    public static void main(String[] args) throws Exception {
        // Output as a String, with a cap per stream.
        ProcessOutput hello = ProcessSpec.of("echo", "hello").collect(1024).join();
        check("output as text", hello.stdoutText(), "hello\n");

        // Stdin from a String; an expected exit value.
        ProcessOutput sorted = ProcessSpec.of("sort").input("b\na\n").collect().join().requireExitValue(0);
        check("stdin from a String", sorted.stdoutLines(), List.of("a", "b"));

        // An unexpected exit value throws, with the output attached.
        try {
            ProcessSpec.of("sh", "-c", "echo no such thing >&2; exit 2").collect().join().requireExitValue();
            fail("requireExitValue passed a status of 2");
        } catch (ExitValueException e) {
            check("exit value check", e.status(), new ExitStatus.Exited(2));
            check("output attached", e.output().stderrText(), "no such thing\n");
        }

        // Line callbacks: on the monitor thread, or on an executor of ours.
        List<String> lines = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ChildProcess p = ProcessSpec.of("printf", "one\\ntwo\\n").stdout(Redirect.PIPE).spawn()) {
            p.onStdoutLine(lines::add, pool).join();
        } finally {
            pool.shutdown();
        }
        check("line callbacks", lines, List.of("one", "two"));

        // Kill on JVM exit: this sleep does not outlive the demo.
        ChildProcess sleeper = ProcessSpec.of("sleep", "600").spawn().killOnJvmExit();
        check("kill on JVM exit registered", sleeper.isAlive(), true);

        // A pipeline: child-to-child pipes, every stage's status.
        try (Pipeline p = Pipeline.start(List.of(
                ProcessSpec.of("printf", "b\\na\\nb\\n"),
                ProcessSpec.of("sort"),
                ProcessSpec.of("uniq", "-c").stdout(Redirect.PIPE)))) {
            String counts = new String(p.last().stdout().readAllBytes(), StandardCharsets.UTF_8);
            check("pipeline output", counts.lines().map(String::strip).toList(), List.of("1 a", "2 b"));
            check("pipeline statuses", p.waitFor(), List.of(new ExitStatus.Exited(0), new ExitStatus.Exited(0),
                    new ExitStatus.Exited(0)));
        }
        System.out.println("procwarden examples: all ok");
    }

    private static void check(String what, Object actual, Object expected) {
        if (!actual.equals(expected)) fail(what + ": expected " + expected + ", got " + actual);
        System.out.println("ok  " + what + ": " + actual);
    }

    private static void fail(String message) {
        System.err.println("procwarden examples: FAILED: " + message);
        System.exit(1);
    }
}
