package io.procwarden.internal.ffi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.procwarden.ExitStatus;
import io.procwarden.ProcessMonitor;
import io.procwarden.testing.Children;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** struct pidfd_info decoding, and the real ioctl: nothing while alive or unreaped, the status after the reap. */
class PidfdInfoTest {

    @Test
    void decodesTheExitCodeOnlyWithTheExitBit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(PidfdInfo.SIZE, 8);
            info.set(ValueLayout.JAVA_INT, PidfdInfo.EXIT_CODE, 7 << 8);
            info.set(ValueLayout.JAVA_LONG, PidfdInfo.MASK, 0x7); // PID, CREDS, CGROUPID: no EXIT
            assertThat(PidfdInfo.decode(info)).isEmpty();
            info.set(ValueLayout.JAVA_LONG, PidfdInfo.MASK, 0x7 | PidfdInfo.PIDFD_INFO_EXIT);
            assertThat(PidfdInfo.decode(info)).contains(new ExitStatus.Exited(7));
            info.set(ValueLayout.JAVA_INT, PidfdInfo.EXIT_CODE, 0x80 | 11);
            assertThat(PidfdInfo.decode(info)).contains(new ExitStatus.Signaled(io.procwarden.Signal.SEGV, true));
        }
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void theKernelGivesTheStatusOnlyAfterTheReap() throws Exception {
        assumeThat(ProcessMonitor.nonChildStatusUnavailabilityCause()).as("PIDFD_INFO_EXIT here").isEmpty();
        int pid = Children.sh("exit 6");
        try (Fd pidfd = Pidfd.open(pid)) {
            assertThat(Wait.waitidPid(pid, Wait.WNOWAIT).status()).isEqualTo(new ExitStatus.Exited(6)); // a zombie now
            assertThat(PidfdInfo.exitStatus(pidfd)).as("unreaped").isEmpty();
            assertThat(Wait.wait4(pid, 0).status()).isEqualTo(new ExitStatus.Exited(6));
            assertThat(PidfdInfo.exitStatus(pidfd)).as("reaped").contains(new ExitStatus.Exited(6));
        }
    }
}
