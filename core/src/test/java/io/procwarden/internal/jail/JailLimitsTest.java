package io.procwarden.internal.jail;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ExitStatus;
import io.procwarden.JailSpec;
import io.procwarden.JailSpec.Resource;
import io.procwarden.Signal;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Resource limits, umask and environment, asserted from inside the child: its first action is to
 * read its own /proc files; and limits that bite. Needs no privilege.
 */
@EnabledOnOs(OS.LINUX)
class JailLimitsTest {
    static JailFixture jail;

    @BeforeAll
    static void start() throws Exception {
        jail = new JailFixture();
    }

    @AfterAll
    static void stop() {
        jail.close();
    }

    @Test
    void everyLimitIsInPlaceBeforeTheTargetsFirstInstruction() throws Exception {
        JailSpec spec = JailSpec.none()
                .limit(Resource.NOFILE, 64, 128)
                .limit(Resource.FSIZE, 1 << 20, 2 << 20)
                .limit(Resource.NPROC, 500, 600)
                .limit(Resource.AS, 1L << 30, 2L << 30)
                .limit(Resource.CPU, 30, 40)
                .limit(Resource.CORE, 0, 0)
                .limit(Resource.STACK, 4 << 20, 8 << 20);
        JailFixture.Run r = jail.run(spec, "/bin/cat", "/proc/self/limits");
        System.out.println("[jail] chain: " + r.child().chain() + "\n" + r.output());
        assertThat(r.outcome().status()).isEqualTo(new ExitStatus.Exited(0));
        Map<String, String[]> l = JailFixture.limits(r.output());
        assertThat(l.get("Max open files")).containsExactly("64", "128");
        assertThat(l.get("Max file size")).containsExactly("1048576", "2097152");
        assertThat(l.get("Max processes")).containsExactly("500", "600");
        assertThat(l.get("Max address space")).containsExactly("1073741824", "2147483648");
        assertThat(l.get("Max cpu time")).containsExactly("30", "40");
        assertThat(l.get("Max core file size")).containsExactly("0", "0");
        assertThat(l.get("Max stack size")).containsExactly("4194304", "8388608");
    }

    @Test
    void unlimitedIsUnlimited() throws Exception {
        JailFixture.Run r = jail.run(JailSpec.none().limit(Resource.CORE, 0, JailSpec.Limit.UNLIMITED),
                "/bin/cat", "/proc/self/limits");
        assertThat(JailFixture.limits(r.output()).get("Max core file size")).containsExactly("0", "unlimited");
    }

    @Test
    void tooManyOpenFilesGivesEmfile() throws Exception {
        // 0, 1, 2 open and NOFILE 4: fd 3 can be opened, a fifth descriptor cannot.
        JailFixture.Run r = jail.run(JailSpec.none().limit(Resource.NOFILE, 4),
                "/bin/sh", "-c", "exec 3</dev/null; echo three-ok; exec 4</dev/null; echo four-ok");
        System.out.println("[jail] NOFILE 4 output: " + r.output().trim());
        assertThat(r.output()).contains("three-ok").contains("Too many open files").doesNotContain("four-ok");
        assertThat(r.outcome().status()).isEqualTo(new ExitStatus.Exited(2));
    }

    @Test
    void cpuLimitEndsWithSigxcpu() throws Exception {
        JailFixture.Run r = jail.run(JailSpec.none().limit(Resource.CPU, 1, 3).limit(Resource.CORE, 0),
                "/bin/sh", "-c", "while :; do :; done");
        assertThat(r.outcome().status()).isInstanceOfSatisfying(ExitStatus.Signaled.class,
                s -> assertThat(s.signal()).isEqualTo(Signal.XCPU));
        assertThat(r.outcome().usage().totalCpu().toMillis()).isBetween(500L, 3_500L);
    }

    @Test
    void fileSizeLimitEndsWithSigxfsz() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("procwarden-fsize", ".bin");
        try {
            JailFixture.Run r = jail.run(JailSpec.none().limit(Resource.FSIZE, 4096).limit(Resource.CORE, 0),
                    "/bin/sh", "-c", "exec head -c 100000 /dev/zero > " + f);
            assertThat(r.outcome().status()).isInstanceOfSatisfying(ExitStatus.Signaled.class,
                    s -> assertThat(s.signal()).isEqualTo(Signal.XFSZ));
            assertThat(java.nio.file.Files.size(f)).isEqualTo(4096);
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    @Test
    void umaskAndEnvironmentAllowlist() throws Exception {
        JailSpec spec = JailSpec.none().umask(0027).environmentAllowlist("PATH", "PROCWARDEN_NOT_SET");
        JailFixture.Run r = jail.run(spec, "/usr/bin/env");
        assertThat(r.output().lines().sorted().toList()).containsExactly("PATH=" + System.getenv("PATH"));
        JailFixture.Run u = jail.run(spec, "/bin/cat", "/proc/self/status");
        assertThat(JailFixture.status(u.output(), "Umask")).isEqualTo("0027");
    }

    @Test
    void hardenedSpawnStillHolds() throws Exception {
        // Only 0, 1, 2 reach the target (the stub's go, ready and saved-stdin descriptors are gone),
        // with an empty signal mask and no ignored signal.
        JailSpec spec = JailSpec.none().limit(Resource.NOFILE, 64).noNewPrivileges().umask(077);
        JailFixture.Run r = jail.run(spec, "/bin/sh", "-c", "ls /proc/self/fd; cat /proc/self/status");
        String fds = r.output().substring(0, r.output().indexOf("Name:"));
        // ls's own directory descriptor is 3
        assertThat(fds.trim().split("\\s+")).containsExactly("0", "1", "2", "3");
        assertThat(JailFixture.status(r.output(), "SigBlk")).isEqualTo("0000000000000000");
        // The jail adds nothing to what the plain hardened spawn gives, and that is nothing ignored.
        String plain = JailFixture.plainChildStatus();
        assertThat(JailFixture.status(r.output(), "SigIgn")).isEqualTo(JailFixture.status(plain, "SigIgn"))
                .isEqualTo("0000000000000000");
    }

    @Test
    void aPreservedDescriptorReachesTheTargetAtItsNumber() throws Exception {
        io.procwarden.internal.ffi.Fd[] p = io.procwarden.internal.ffi.Unistd.pipe();
        try (io.procwarden.internal.ffi.Fd r = p[0]) {
            try (io.procwarden.internal.ffi.Fd w = p[1]; java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                io.procwarden.internal.ffi.Unistd.write(w, a.allocateFrom("hello\n"), 6);
            }
            JailFixture.Run run = jail.run(JailSpec.none().limit(Resource.NOFILE, 64).noNewPrivileges(), Map.of(3, r),
                    "/bin/sh", "-c", "cat <&3; ls /proc/self/fd");
            // 3 is the preserved pipe; 4 is ls's own directory descriptor
            assertThat(run.output().lines().toList()).containsExactly("hello", "0", "1", "2", "3", "4");
        }
    }

    @Test
    void exitStatusOfTheTargetIsExact() throws Exception {
        assertThat(jail.run(JailSpec.none().limit(Resource.CORE, 0), "/bin/sh", "-c", "exit 42").outcome().status())
                .isEqualTo(new ExitStatus.Exited(42));
        assertThat(jail.run(JailSpec.none().noNewPrivileges(), "/bin/sh", "-c", "kill -TERM $$").outcome().status())
                .isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
    }
}
