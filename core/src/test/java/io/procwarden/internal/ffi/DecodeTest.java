package io.procwarden.internal.ffi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.procwarden.ExitStatus;
import io.procwarden.Signal;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Decoding of wait statuses, siginfo and rusage: the pure-Java part every backend (kqueue too) relies on. */
class DecodeTest {

    @Test
    void waitStatusWords() {
        assertThat(Wait.decodeWaitStatus(0x0700)).isEqualTo(new ExitStatus.Exited(7));
        assertThat(Wait.decodeWaitStatus(0)).isEqualTo(new ExitStatus.Exited(0));
        assertThat(Wait.decodeWaitStatus(9)).isEqualTo(new ExitStatus.Signaled(Signal.KILL, false));
        assertThat(Wait.decodeWaitStatus(0x80 | 11)).isEqualTo(new ExitStatus.Signaled(Signal.SEGV, true));
        assertThatThrownBy(() -> Wait.decodeWaitStatus(0x137f)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stop");
    }

    @Test
    void siginfoCodes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(Wait.SIGINFO);
            info.set(ValueLayout.JAVA_INT, Wait.SI_CODE, Wait.CLD_EXITED);
            info.set(ValueLayout.JAVA_INT, Wait.SI_STATUS, 3);
            assertThat(Wait.decodeSiginfo(info)).isEqualTo(new ExitStatus.Exited(3));
            info.set(ValueLayout.JAVA_INT, Wait.SI_CODE, Wait.CLD_KILLED);
            info.set(ValueLayout.JAVA_INT, Wait.SI_STATUS, 15);
            assertThat(Wait.decodeSiginfo(info)).isEqualTo(new ExitStatus.Signaled(Signal.TERM, false));
            info.set(ValueLayout.JAVA_INT, Wait.SI_CODE, Wait.CLD_DUMPED);
            info.set(ValueLayout.JAVA_INT, Wait.SI_STATUS, 6);
            assertThat(Wait.decodeSiginfo(info)).isEqualTo(new ExitStatus.Signaled(Signal.ABRT, true));
        }
    }

    @Test
    void rusageFields() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ru = arena.allocate(Wait.RUSAGE);
            ru.set(ValueLayout.JAVA_LONG, Wait.RU_UTIME_SEC, 1);
            ru.set(ValueLayout.JAVA_LONG, Wait.RU_UTIME_USEC, 500_000);
            ru.set(ValueLayout.JAVA_LONG, Wait.RU_STIME_SEC, 0);
            ru.set(ValueLayout.JAVA_LONG, Wait.RU_STIME_USEC, 250);
            ru.set(ValueLayout.JAVA_LONG, Wait.RU_MAXRSS, 2048);
            var usage = Wait.decodeRusage(ru);
            assertThat(usage.userCpu()).isEqualTo(Duration.ofMillis(1500));
            assertThat(usage.systemCpu()).isEqualTo(Duration.ofNanos(250_000));
            assertThat(usage.peakRssBytes()).isEqualTo(Platform.current().isMacOs() ? 2048 : 2048 * 1024);
        }
    }

    @Test
    void errnoNamesAndFallbackRule() {
        assertThat(Errno.name(Errno.ECHILD)).isEqualTo("ECHILD");
        assertThat(Errno.name(Errno.EMFILE)).isEqualTo("EMFILE");
        assertThat(Errno.name(Errno.ENOSYS)).isEqualTo("ENOSYS");
        assertThat(Errno.name(9999)).isEqualTo("errno 9999");
        assertThat(Errno.exception("pidfd_open(1)", Errno.EMFILE).getMessage())
                .startsWith("pidfd_open(1) failed: EMFILE (").doesNotEndWith("()");
        assertThat(Errno.meansUnsupported(Errno.ENOSYS)).isTrue();
        assertThat(Errno.meansUnsupported(Errno.EPERM)).isTrue();
        assertThat(Errno.meansUnsupported(Errno.EMFILE)).isFalse();
    }
}
