package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Unistd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a spawn can fail: a SpawnException naming program, directory and errno, and nothing
 * left behind: the same descriptors, the same threads, no new child (zombie or not). All three
 * streams are pipes, so the pipe clean-up on each error path is checked too.
 */
@EnabledOnOs(OS.LINUX)
class SpawnFailureTest {
    private static ProcessMonitor monitor;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        monitor = ProcessMonitor.create();
        // Warm up: class initialisation and lazily started helpers happen before any count.
        try (ChildProcess p = ProcessSpec.of("true").stdin(Redirect.PIPE).stdout(Redirect.PIPE).stderr(Redirect.PIPE)
                .spawn(monitor)) {
            p.waitFor();
        }
        catchThrowableOfType(SpawnException.class, () -> ProcessSpec.of("/nonexistent/warm-up").spawn(monitor));
    }

    @AfterAll
    static void stop() {
        monitor.close();
    }

    @BeforeEach
    void noChildrenLeftFromEarlierTests() {
        assertThat(ourChildren()).isEmpty();
    }

    /** Spawns, expects a SpawnException, and checks that nothing of the attempt is left. */
    private static SpawnException fails(ProcessSpec spec) {
        Set<String> fdsBefore = openFds();
        int threadsBefore = Thread.activeCount();
        ProcessSpec piped = spec.stdin().equals(Redirect.INHERIT) ? spec.stdin(Redirect.PIPE) : spec;
        piped = piped.stdout().equals(Redirect.INHERIT) ? piped.stdout(Redirect.PIPE) : piped;
        piped = piped.stderr().equals(Redirect.INHERIT) ? piped.stderr(Redirect.PIPE) : piped;
        ProcessSpec attempt = piped;
        SpawnException e = catchThrowableOfType(SpawnException.class, () -> attempt.spawn(monitor));
        assertThat(e).as("spawn of " + spec + " must fail").isNotNull();
        assertThat(e.getMessage()).startsWith("Cannot run program \"" + spec.command() + "\"");
        assertThat(openFds()).as("descriptors after: " + e.getMessage()).isEqualTo(fdsBefore);
        assertThat(Thread.activeCount()).isEqualTo(threadsBefore);
        assertThat(ourChildren()).as("no zombie, no child").isEmpty();
        return e;
    }

    private static Set<String> openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            Set<String> fds = new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
            return fds; // includes the listing's own descriptor, the same number each time
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pids of our children (any state), from every thread's {@code children} file. */
    private static List<String> ourChildren() {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.flatMap(t -> {
                try {
                    return Stream.of(Files.readString(t.resolve("children")).trim().split("\\s+"));
                } catch (IOException gone) {
                    return Stream.empty(); // the thread ended meanwhile
                }
            }).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void missingProgramOnPath() {
        SpawnException e = fails(ProcessSpec.of("no-such-program-procwarden"));
        assertThat(e.errnoName()).contains("ENOENT");
        assertThat(e.getMessage()).contains("ENOENT (No such file or directory): not found on PATH \"");
        assertThat(e.directory()).isEmpty();
    }

    @Test
    void missingProgramByPath() {
        SpawnException e = fails(ProcessSpec.of("/nonexistent/program"));
        assertThat(e.getMessage()).isEqualTo(
                "Cannot run program \"/nonexistent/program\": ENOENT (No such file or directory)");
        assertThat(e.errno()).isEqualTo(2);
    }

    @Test
    void notExecutable() throws Exception {
        Path file = Files.writeString(tmp.resolve("data.txt"), "echo hi\n");
        SpawnException e = fails(ProcessSpec.of(file.toString()));
        assertThat(e.errnoName()).contains("EACCES");
        assertThat(e.getMessage()).endsWith("EACCES (Permission denied): " + file + " is not executable");
    }

    @Test
    void aDirectoryAsProgram() {
        SpawnException e = fails(ProcessSpec.of(tmp.toString()));
        assertThat(e.errnoName()).contains("EACCES");
        assertThat(e.getMessage()).endsWith(tmp + " is a directory");
    }

    @Test
    void scriptWithMissingInterpreter() throws Exception {
        Path script = Files.writeString(tmp.resolve("run.sh"), "#!/nonexistent/interpreter -x\necho never\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        SpawnException e = fails(ProcessSpec.of("./run.sh").directory(tmp));
        assertThat(e.errnoName()).contains("ENOENT");
        assertThat(e.getMessage()).isEqualTo("Cannot run program \"./run.sh\" (in directory \"" + tmp
                + "\"): ENOENT (No such file or directory): bad interpreter \"/nonexistent/interpreter\" (#! line of "
                + tmp.resolve("./run.sh") + ")");
    }

    @Test
    void missingWorkingDirectory() {
        Path dir = tmp.resolve("gone");
        SpawnException e = fails(ProcessSpec.of("/bin/true").directory(dir));
        assertThat(e.errnoName()).contains("ENOENT");
        assertThat(e.directory()).contains(dir);
        assertThat(e.getMessage()).isEqualTo("Cannot run program \"/bin/true\" (in directory \"" + dir
                + "\"): ENOENT (No such file or directory): working directory \"" + dir + "\" does not exist");
    }

    @Test
    void workingDirectoryIsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("plain"), "");
        SpawnException e = fails(ProcessSpec.of("/bin/true").directory(file));
        assertThat(e.errnoName()).contains("ENOTDIR");
        assertThat(e.getMessage()).endsWith("working directory \"" + file + "\" is not a directory");
    }

    @Test
    void argumentListTooLong() {
        SpawnException e = fails(ProcessSpec.of("/bin/true", "x".repeat(256 * 1024)));
        assertThat(e.errnoName()).contains("E2BIG");
        assertThat(e.getMessage()).contains("E2BIG (Argument list too long): argument list and environment too long");
    }

    /**
     * Past the kernel's limit on the total size of arguments and environment (fs/exec.c: the
     * smaller of RLIMIT_STACK / 4 and 6 MiB), with arguments that are each short: 80,000 of 100
     * bytes (8 MB). The single long argument above fails on a different limit (one string longer
     * than MAX_ARG_STRLEN, 128 KiB).
     */
    @Test
    void manyArgumentsPastArgMax() {
        java.util.List<String> args = java.util.Collections.nCopies(80_000, "a".repeat(99));
        SpawnException e = fails(ProcessSpec.of("/bin/true").args(args));
        assertThat(e.errnoName()).contains("E2BIG");
        assertThat(e.getMessage()).contains("E2BIG (Argument list too long): argument list and environment too long ("
                + (80_000 * 100 + "/bin/true".length() + 1) + " bytes in 80001 arguments, inherited environment)");
    }

    @Test
    void environmentPastArgMax() {
        java.util.Map<String, String> env = new java.util.HashMap<>();
        long bytes = 0;
        for (int i = 0; i < 80_000; i++) {
            env.put("V" + i, "v".repeat(90));
            bytes += ("V" + i).length() + 1 + 90 + 1; // NAME=value and its NUL
        }
        SpawnException e = fails(ProcessSpec.of("/bin/true").environment(env));
        assertThat(e.errnoName()).contains("E2BIG");
        assertThat(e.getMessage()).contains("E2BIG (Argument list too long): argument list and environment too long")
                .endsWith("(10 bytes in 1 arguments, " + bytes + " bytes of environment)");
    }

    @Test
    void preservedFdThatIsNotOpen() throws Exception {
        // A number far above anything open: a low one would be reused by the spawn's own pipes.
        int closed;
        try (Fd devNull = Unistd.open("/dev/null", Unistd.O_RDONLY, 0); Fd high = Unistd.dupAbove(devNull, 15_000)) {
            closed = high.number();
        }
        SpawnException e = fails(ProcessSpec.of("/bin/true").preserveFd(closed, 3));
        assertThat(e.errnoName()).contains("EBADF");
        assertThat(e.getMessage()).endsWith("preserved fd " + closed + " (for child fd 3) is not open in this process");
    }

    @Test
    void stdoutFileThatCannotBeOpened() {
        Path file = tmp.resolve("no/such/dir/out.txt");
        SpawnException e = catchThrowableOfType(SpawnException.class,
                () -> ProcessSpec.of("/bin/true").stdout(Redirect.to(file)).spawn(monitor));
        assertThat(e.getMessage()).endsWith("ENOENT (No such file or directory): cannot open stdout file \"" + file + "\"");
        // and with the other two streams as pipes, nothing is left:
        fails(ProcessSpec.of("/bin/true").stdout(Redirect.to(file)));
    }

    @Test
    void failedSpawnsDoNotDisturbTheMonitor() throws Exception {
        for (int i = 0; i < 20; i++) {
            fails(ProcessSpec.of("/nonexistent/program"));
        }
        assertThat(monitor.watchedCount()).isZero();
        try (ChildProcess p = ProcessSpec.of("sh", "-c", "exit 4").spawn(monitor)) {
            assertThat(p.waitFor()).isEqualTo(new ExitStatus.Exited(4));
        }
    }
}
