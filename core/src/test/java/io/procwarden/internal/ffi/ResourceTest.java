package io.procwarden.internal.ffi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.procwarden.SyscallException;
import io.procwarden.testing.Children;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * {@code <sys/resource.h>}: getrlimit, setrlimit and prlimit in one binding, each checked
 * against what the kernel reports in {@code /proc/PID/limits}, not against itself.
 */
@EnabledOnOs(OS.LINUX)
class ResourceTest {

    /** The soft and hard columns of one row of /proc/PID/limits ("unlimited" as RLIM_INFINITY). */
    private static long[] procLimits(long pid, String row) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits"))) {
            if (line.startsWith(row)) {
                String[] f = line.substring(row.length()).trim().split("\\s+");
                return new long[] {value(f[0]), value(f[1])};
            }
        }
        throw new AssertionError("no row \"" + row + "\" in /proc/" + pid + "/limits");
    }

    private static long value(String s) {
        return s.equals("unlimited") ? Resource.RLIM_INFINITY : Long.parseLong(s);
    }

    @Test
    void getrlimitAndPrlimitOfSelfReadWhatTheKernelReports() throws Exception {
        Resource.Limit nofile = Resource.get(Resource.RLIMIT_NOFILE);
        long[] proc = procLimits(ProcessHandle.current().pid(), "Max open files");
        assertThat(new long[] {nofile.soft(), nofile.hard()}).containsExactly(proc);
        assertThat(Resource.prlimit(0, Resource.RLIMIT_NOFILE)).isEqualTo(nofile);
    }

    @Test
    void setrlimitChangesThisProcessAndIsUndone() throws Exception {
        Resource.Limit saved = Resource.get(Resource.RLIMIT_CORE);
        // Core dumps off, or on up to 1 MiB if they are off: harmless for a test JVM either way.
        long target = saved.soft() != 0 ? 0 : Math.min(saved.hardBound(), 1 << 20);
        assumeTrue(target != saved.soft(), "RLIMIT_CORE is 0/0: nothing to change");
        try {
            Resource.set(Resource.RLIMIT_CORE, new Resource.Limit(target, saved.hard()));
            assertThat(procLimits(ProcessHandle.current().pid(), "Max core file size")).containsExactly(target, saved.hard());
        } finally {
            Resource.set(Resource.RLIMIT_CORE, saved);
        }
        assertThat(Resource.get(Resource.RLIMIT_CORE)).isEqualTo(saved);
    }

    @Test
    void setrlimitRefusesSoftAboveHardNamingTheResource() throws Exception {
        Resource.Limit nofile = Resource.get(Resource.RLIMIT_NOFILE);
        assumeTrue(nofile.hard() != Resource.RLIM_INFINITY, "Linux caps the NOFILE hard limit at nr_open");
        SyscallException e = catchThrowableOfType(SyscallException.class,
                () -> Resource.set(Resource.RLIMIT_NOFILE, new Resource.Limit(nofile.hard() + 1, nofile.hard())));
        assertThat(e).isNotNull();
        assertThat(e.errnoName()).isEqualTo("EINVAL");
        assertThat(e.getMessage()).contains("setrlimit(RLIMIT_NOFILE");
        assertThat(Resource.get(Resource.RLIMIT_NOFILE)).as("unchanged").isEqualTo(nofile);
    }

    @Test
    void prlimitSetsTheLimitsOfAnotherProcess() throws Exception {
        Process child = new ProcessBuilder("sleep", "600").start();
        try {
            int pid = (int) child.pid();
            Resource.prlimit(pid, Resource.RLIMIT_NOFILE, 64, 128);
            assertThat(procLimits(pid, "Max open files")).containsExactly(64L, 128L);
            assertThat(Resource.prlimit(pid, Resource.RLIMIT_NOFILE)).isEqualTo(new Resource.Limit(64, 128));
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void prlimitOnNoProcessNamesPidAndResource() {
        int pid = Children.freePid();
        SyscallException e = catchThrowableOfType(SyscallException.class,
                () -> Resource.prlimit(pid, Resource.RLIMIT_NOFILE, 10, 10));
        assertThat(e).isNotNull();
        assertThat(e.errnoName()).isEqualTo("ESRCH");
        assertThat(e.getMessage()).contains("prlimit(" + pid + ", RLIMIT_NOFILE, soft=10, hard=10)");
    }

    @Test
    void namesAreTheCNames() {
        assertThat(Resource.name(Resource.RLIMIT_NOFILE)).isEqualTo("RLIMIT_NOFILE");
        assertThat(Resource.name(Resource.RLIMIT_AS)).isEqualTo("RLIMIT_AS");
        assertThat(Resource.name(42)).isEqualTo("resource 42");
        assertThat(Resource.RLIMIT_NOFILE).isEqualTo(7); // Linux asm-generic
    }
}
