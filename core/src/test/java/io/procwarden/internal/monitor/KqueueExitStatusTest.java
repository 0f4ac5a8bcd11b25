package io.procwarden.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ExitStatus;
import io.procwarden.Signal;
import io.procwarden.internal.ffi.Kqueue;
import org.junit.jupiter.api.Test;

/**
 * The pure-Java part of kqueue's status without reaping, run on every system: a fired
 * EVFILT_PROC event carries a wait status only when the kernel granted NOTE_EXITSTATUS (it sets
 * that bit in the returned fflags, for the parent only), in the low bits of {@code data}.
 */
class KqueueExitStatusTest {

    @Test
    void theStatusIsReadOnlyWhenNoteExitStatusWasGranted() {
        int granted = Kqueue.NOTE_EXIT | Kqueue.NOTE_EXITSTATUS;
        assertThat(KqueueExitSource.exitStatusOf(granted, 3 << 8)).contains(new ExitStatus.Exited(3));
        assertThat(KqueueExitSource.exitStatusOf(granted, Signal.KILL.number()))
                .contains(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(KqueueExitSource.exitStatusOf(granted, 0x80 | Signal.SEGV.number()))
                .contains(new ExitStatus.Signaled(Signal.SEGV, true));
        // Bits above NOTE_PDATAMASK (exit details) are not part of the status.
        assertThat(KqueueExitSource.exitStatusOf(granted, 0x7_0000_0000L | (5 << 8))).contains(new ExitStatus.Exited(5));
        // Not the parent: NOTE_EXIT alone, data meaningless.
        assertThat(KqueueExitSource.exitStatusOf(Kqueue.NOTE_EXIT, 3 << 8)).isEmpty();
        assertThat(KqueueExitSource.exitStatusOf(Kqueue.NOTE_EXITSTATUS, 3 << 8)).as("no exit").isEmpty();
    }
}
