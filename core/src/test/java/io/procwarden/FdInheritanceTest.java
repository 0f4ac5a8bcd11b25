package io.procwarden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Resource;
import io.procwarden.internal.ffi.Unistd;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Whatever this JVM holds, a child gets 0, 1, 2 and its preserved descriptors, nothing else.
 * The child lists {@code /proc/self/fd} itself ({@code ls -l}, minus the directory descriptor ls
 * opens to list it).
 *
 * <p>Runs twice in {@code mvn test}/{@code verify}: in the default surefire execution with the
 * default mechanism, and in the {@code fdclose-enumerate} execution with
 * {@code -Dprocwarden.spawn.fdclose=enumerate} (the mechanism is chosen once per JVM).
 * {@code procwarden.test.expectedFdClose} says which one must be running, so a misconfigured
 * execution cannot silently test the wrong path.
 */
@EnabledOnOs(OS.LINUX)
class FdInheritanceTest {
    private static final Pattern LS_ENTRY = Pattern.compile("\\s(\\d+) -> (.*)$");
    private static ProcessMonitor monitor;
    private static Fd devNull;

    @BeforeAll
    static void start() throws Exception {
        monitor = ProcessMonitor.create();
        devNull = Unistd.open("/dev/null", Unistd.O_RDWR, 0);
    }

    @AfterAll
    static void stop() {
        devNull.close();
        monitor.close();
    }

    /** The child's descriptors, number to target, without the one ls uses to read the directory. */
    static Map<Integer, String> childFds(ProcessSpec base) throws Exception {
        try (ChildProcess p = base.args("-l", "/proc/self/fd").stdin(Redirect.DISCARD).stdout(Redirect.PIPE)
                .stderr(Redirect.DISCARD).spawn(monitor)) {
            String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isEqualTo(new ExitStatus.Exited(0));
            Map<Integer, String> fds = new TreeMap<>();
            for (String line : out.lines().toList()) {
                Matcher m = LS_ENTRY.matcher(line);
                if (m.find() && !m.group(2).equals("/proc/" + p.pid() + "/fd")) {
                    fds.put(Integer.parseInt(m.group(1)), m.group(2));
                }
            }
            return fds;
        }
    }

    static Set<Integer> childFdNumbers() throws Exception {
        return childFds(ProcessSpec.of("ls")).keySet();
    }

    @Test
    void theExpectedMechanismRuns() {
        String expected = System.getProperty("procwarden.test.expectedFdClose", "closefrom");
        assertThat(ProcessSpec.fdCloseMechanism().id()).isEqualTo(expected);
    }

    @Test
    void onlyTheStandardStreams() throws Exception {
        Map<Integer, String> fds = childFds(ProcessSpec.of("ls"));
        assertThat(fds.keySet()).containsExactly(0, 1, 2);
        assertThat(fds.get(0)).isEqualTo("/dev/null");
        assertThat(fds.get(1)).startsWith("pipe:");
    }

    @Test
    void anInheritableFdAt2000IsClosed() throws Exception {
        try (Fd at2000 = Unistd.dupAbove(devNull, 2000)) {
            assertThat(at2000.number()).isEqualTo(2000);
            assertThat(Unistd.fcntl(at2000, Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC).as("not close-on-exec").isZero();
            assertThat(childFdNumbers()).containsExactly(0, 1, 2);
        }
    }

    @Test
    void fdsAboveALoweredSoftLimitAreClosed() throws Exception {
        Resource.Limit original = Resource.get(Resource.RLIMIT_NOFILE);
        assumeThat(original.softBound()).as("soft RLIMIT_NOFILE leaves room above 1024").isGreaterThan(3100);
        try (Fd high = Unistd.dupAbove(devNull, 3000)) {
            assertThat(high.number()).isEqualTo(3000);
            Resource.set(Resource.RLIMIT_NOFILE, new Resource.Limit(1024, original.hard()));
            try {
                assertThat(childFdNumbers()).containsExactly(0, 1, 2);
                // The child keeps the lowered limit (ENUMERATE raises ours only while recording
                // its close actions), and so do we.
                try (ChildProcess p = ProcessSpec.of("sh", "-c", "ulimit -n").stdin(Redirect.DISCARD)
                        .stdout(Redirect.PIPE).spawn(monitor)) {
                    assertThat(new String(p.stdout().readAllBytes(), StandardCharsets.US_ASCII).trim()).isEqualTo("1024");
                    assertThat(p.waitFor().isSuccess()).isTrue();
                }
                assertThat(Resource.get(Resource.RLIMIT_NOFILE).soft()).isEqualTo(1024);
            } finally {
                Resource.set(Resource.RLIMIT_NOFILE, original);
            }
        }
    }

    @Test
    void tenThousandFdsWithAndWithoutCloexec() throws Exception {
        assumeThat(Resource.get(Resource.RLIMIT_NOFILE).softBound()).isGreaterThan(11_000);
        List<Fd> held = new ArrayList<>();
        try {
            for (int i = 0; i < 10_000; i++) {
                held.add(i % 2 == 0 ? Unistd.open("/dev/null", Unistd.O_RDONLY, 0) : Unistd.dupAbove(devNull, 0));
            }
            assertThat(held.getLast().number()).isGreaterThan(10_000);
            assertThat(childFdNumbers()).containsExactly(0, 1, 2);
        } finally {
            held.forEach(Fd::close);
        }
    }

    @Test
    void preservedFdsAndNothingInTheGapsBelowThem() throws Exception {
        // An inheritable fd at 100 lies between 3 and the preserved target 150: closefrom(151)
        // alone would not close it.
        try (Fd gap = Unistd.dupAbove(devNull, 100); Fd preserved = Unistd.dupAbove(devNull, 200)) {
            Map<Integer, String> fds = childFds(ProcessSpec.of("ls").preserveFd(preserved.number(), 150)
                    .preserveFd(preserved.number(), 3));
            assertThat(fds.keySet()).containsExactly(0, 1, 2, 3, 150);
            assertThat(fds.get(3)).isEqualTo("/dev/null");
            assertThat(fds.get(150)).isEqualTo("/dev/null");
            assertThat(gap.number()).isEqualTo(100);
        }
    }

    @Test
    void fdsOpenedByOtherThreadsDuringTheSpawn() throws Exception {
        assumeThat(ProcessSpec.fdCloseMechanism()).as("ENUMERATE documents this window as its limitation")
                .isNotEqualTo(FdCloseMechanism.ENUMERATE);
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> errors = new ArrayList<>();
        Thread opener = new Thread(() -> {
            try {
                while (!stop.get()) {
                    List<Fd> batch = new ArrayList<>();
                    for (int i = 0; i < 50; i++) batch.add(Unistd.dupAbove(devNull, 0));
                    batch.forEach(Fd::close);
                }
            } catch (Throwable t) {
                synchronized (errors) {
                    errors.add(t);
                }
            }
        }, "fd-opener");
        opener.start();
        try {
            for (int i = 0; i < 30; i++) {
                assertThat(childFdNumbers()).containsExactly(0, 1, 2);
            }
        } finally {
            stop.set(true);
            opener.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(errors).isEmpty();
    }
}
