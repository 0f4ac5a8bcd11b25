package io.procwarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the child of {@code procwarden run} gets: fds 0, 1, 2 and the preserved ones only, its own
 * process group (or session), a clean signal state, the environment, directory and output
 * files the options ask for.
 */
class RunIsolationIT {
    @TempDir
    Path tmp;

    @Test
    @EnabledOnOs(OS.LINUX) // /proc/PID/fd of the parent
    void theChildHasOnlyFds012WhileProcwardensJvmHoldsMany() {
        // ls lists its own fds (plus the one it reads the directory with), then its parent's: the
        // JVM's, among them the JDK's modules file, opened without close-on-exec.
        Cli.Result r = Cli.run("run", "--", "sh", "-c", "ls /dev/fd/; echo --; ls -l /proc/$PPID/fd");

        assertThat(r.exit()).as(r.toString()).isZero();
        int split = r.out().indexOf("--");
        assertThat(r.out().subList(0, split)).as(r.toString()).containsExactly("0", "1", "2", "3");
        assertThat(r.out().subList(split + 1, r.out().size())).as("the JVM's fds: " + r)
                .hasSizeGreaterThan(6) // "total 0", 0, 1, 2 and more
                .anySatisfy(line -> assertThat(line).endsWith("/lib/modules"));
    }

    @Test
    void onlyAPreservedFdReachesTheChild() throws IOException {
        Path input = Files.writeString(tmp.resolve("input"), "through fd 5\n");
        // sh opens fd 5 on the file and execs the CLI: the JVM inherits it as fd 5.
        List<String> preserved = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" 5<\"$0\"", input.toString()));
        preserved.addAll(Cli.command("run", "--preserve-fd", "5", "--", "sh", "-c", "cat <&5"));
        List<String> notPreserved = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" 5<\"$0\"", input.toString()));
        notPreserved.addAll(Cli.command("run", "--", "sh", "-c", "cat <&5 || echo closed"));

        Cli.Result r = Cli.run(preserved);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).containsExactly("through fd 5");

        Cli.Result closed = Cli.run(notPreserved);
        assertThat(closed.out()).as(closed.toString()).containsExactly("closed");
    }

    @Test
    @EnabledOnOs(OS.LINUX) // /proc/PID/stat
    void theChildLeadsItsOwnProcessGroupInOurSession() throws IOException {
        Cli.Result r = Cli.run("run", "--", "sh", "-c", "echo $$; cut -d' ' -f5,6 /proc/$$/stat");

        assertThat(r.exit()).as(r.toString()).isZero();
        String pid = r.out().get(0);
        assertThat(r.out().get(1)).as(r.toString()).isEqualTo(pid + " " + ourSession());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void newSessionMakesTheChildASessionLeader() {
        Cli.Result r = Cli.run("run", "--new-session", "--", "sh", "-c", "echo $$; cut -d' ' -f5,6 /proc/$$/stat");

        assertThat(r.exit()).as(r.toString()).isZero();
        String pid = r.out().get(0);
        assertThat(r.out().get(1)).as(r.toString()).isEqualTo(pid + " " + pid);
    }

    @Test
    @EnabledOnOs(OS.LINUX) // /proc/self/status
    void theChildStartsWithNoSignalBlockedOrIgnored() {
        Cli.Result r = Cli.run("run", "--", "grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).containsExactly("SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000");
    }

    @Test
    void environmentIsInheritedOrSetOrClearedOrKept() {
        Map<String, String> ours = Map.of("PW_A", "from procwarden", "PW_B", "b");

        Cli.Result inherited = run(ours, "run", "--env", "PW_B=set", "--", "sh", "-c", "echo \"$PW_A|$PW_B\"");
        assertThat(inherited.out()).as(inherited.toString()).containsExactly("from procwarden|set");

        Cli.Result cleared = run(ours, "run", "--env-clear", "--env", "ONLY=1", "--", "env");
        assertThat(cleared.out()).as(cleared.toString()).containsExactly("ONLY=1");

        Cli.Result kept = run(ours, "run", "--env-keep", "PW_A", "--env-keep", "PW_UNSET", "--env", "X=a=b", "--", "env");
        assertThat(kept.out()).as(kept.toString()).containsExactlyInAnyOrder("PW_A=from procwarden", "X=a=b");
    }

    @Test
    void cwdSetsTheWorkingDirectory() throws IOException {
        Cli.Result r = Cli.run("run", "--cwd", tmp.toString(), "--", "pwd", "-P");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).containsExactly(tmp.toRealPath().toString());
    }

    @Test
    void stdoutFileIsTruncatedOrAppendedTo() throws IOException {
        Path out = Files.writeString(tmp.resolve("out"), "old content that is longer\n");

        assertThat(Cli.run("run", "--stdout", out.toString(), "--", "echo", "one").exit()).isZero();
        assertThat(read(out)).isEqualTo("one\n");
        assertThat(Cli.run("run", "--stdout", out.toString(), "--append", "--", "echo", "two").exit()).isZero();
        assertThat(read(out)).isEqualTo("one\ntwo\n");
        Path created = tmp.resolve("created");
        assertThat(Cli.run("run", "--stdout", created.toString(), "--append", "--", "echo", "new").exit()).isZero();
        assertThat(read(created)).isEqualTo("new\n");
    }

    @Test
    void stdoutAndStderrToOneFileKeepBothInOrder() throws IOException {
        Path log = Files.writeString(tmp.resolve("log"), "old\n");
        Path err = tmp.resolve("err");

        Cli.Result both = Cli.run("run", "--stdout", log.toString(), "--stderr", log.toString(), "--",
                "sh", "-c", "echo out; echo err >&2; echo out2");
        assertThat(both.exit()).as(both.toString()).isZero();
        assertThat(both.out()).isEmpty();
        assertThat(read(log)).isEqualTo("out\nerr\nout2\n");

        Cli.Result split = Cli.run("run", "--stderr", err.toString(), "--", "sh", "-c", "echo out; echo err >&2");
        assertThat(split.out()).as(split.toString()).containsExactly("out");
        assertThat(split.err()).as(split.toString()).isEmpty();
        assertThat(read(err)).isEqualTo("err\n");
    }

    private static Cli.Result run(Map<String, String> env, String... args) {
        try (Cli.Running cli = Cli.start(env, args)) {
            Cli.Result r = cli.finish();
            assertThat(r.exit()).as(r.toString()).isZero();
            return r;
        }
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    /** This JVM's session id: the CLI inherits it, and so does its child without --new-session. */
    private static String ourSession() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] afterComm = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return afterComm[3]; // state ppid pgrp session
    }
}
