package io.procwarden.internal.ffi;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.SyscallException;
import io.procwarden.internal.sys.ProcFs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** PIDFD_SIGNAL_PROCESS_GROUP (Linux 6.9): probed once, and present exactly on kernels that have it. */
@EnabledOnOs(OS.LINUX)
class PidfdGroupFlagTest {
    @Test
    void theProbeMatchesTheKernelVersion() throws SyscallException {
        String release = new String(ProcFs.readFile(Path.of("/proc/sys/kernel/osrelease")), StandardCharsets.US_ASCII).trim();
        String[] v = release.split("[.-]");
        boolean has = Integer.parseInt(v[0]) > 6 || (Integer.parseInt(v[0]) == 6 && Integer.parseInt(v[1]) >= 9);
        assertThat(Pidfd.hasProcessGroupFlag()).as("kernel " + release).isEqualTo(has);
    }
}
