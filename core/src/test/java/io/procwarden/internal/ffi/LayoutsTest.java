package io.procwarden.internal.ffi;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Struct layouts checked field by field against the C ABI (they run on every platform). */
class LayoutsTest {

    @Test
    void siginfoMatchesLinux() {
        assertThat(Wait.SIGINFO.byteSize()).isEqualTo(128);
        assertThat(Wait.SI_SIGNO).isEqualTo(0);
        assertThat(offset(Wait.SIGINFO, "si_errno")).isEqualTo(4);
        assertThat(Wait.SI_CODE).isEqualTo(8);
        assertThat(Wait.SI_PID).isEqualTo(16);
        assertThat(offset(Wait.SIGINFO, "si_uid")).isEqualTo(20);
        assertThat(Wait.SI_STATUS).isEqualTo(24);
    }

    @Test
    void rusageMatchesLp64() {
        assertThat(Wait.RUSAGE.byteSize()).isEqualTo(144);
        assertThat(Wait.RU_UTIME_SEC).isEqualTo(0);
        assertThat(Wait.RU_UTIME_USEC).isEqualTo(8);
        assertThat(Wait.RU_STIME_SEC).isEqualTo(16);
        assertThat(Wait.RU_STIME_USEC).isEqualTo(24);
        assertThat(Wait.RU_MAXRSS).isEqualTo(32);
    }

    @Test
    void epollEventIsPackedOnX86_64() {
        if (Platform.current() == Platform.LINUX_X86_64) {
            assertThat(Epoll.EVENT.byteSize()).isEqualTo(12);
            assertThat(Epoll.DATA_OFFSET).isEqualTo(4);
        } else {
            assertThat(Epoll.EVENT.byteSize()).isEqualTo(16);
            assertThat(Epoll.DATA_OFFSET).isEqualTo(8);
        }
        assertThat(Epoll.EVENTS_OFFSET).isEqualTo(0);
    }

    @Test
    void epollEventRoundTripsThroughRawBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(Epoll.EVENT, 3);
            Epoll.setEvent(events, 1, Epoll.EPOLLIN | Epoll.EPOLLHUP, 0x1122334455667788L);
            long stride = Epoll.EVENT.byteSize();
            assertThat(events.get(ValueLayout.JAVA_INT, stride)).isEqualTo(0x11);
            // The 64-bit data, read back as two unaligned ints exactly where the kernel writes it.
            long lo = Integer.toUnsignedLong(events.get(ValueLayout.JAVA_INT_UNALIGNED, stride + Epoll.DATA_OFFSET));
            long hi = Integer.toUnsignedLong(events.get(ValueLayout.JAVA_INT_UNALIGNED, stride + Epoll.DATA_OFFSET + 4));
            assertThat((hi << 32) | lo).isEqualTo(0x1122334455667788L);
            assertThat(Epoll.eventsAt(events, 1)).isEqualTo(0x11);
            assertThat(Epoll.dataAt(events, 1)).isEqualTo(0x1122334455667788L);
            assertThat(Epoll.dataAt(events, 0)).isZero();
        }
    }

    @Test
    void keventMatchesMacOs() {
        assertThat(Kqueue.KEVENT.byteSize()).isEqualTo(32);
        assertThat(Kqueue.IDENT).isEqualTo(0);
        assertThat(Kqueue.FILTER).isEqualTo(8);
        assertThat(Kqueue.FLAGS).isEqualTo(10);
        assertThat(Kqueue.FFLAGS).isEqualTo(12);
        assertThat(Kqueue.DATA).isEqualTo(16);
        assertThat(Kqueue.UDATA).isEqualTo(24);
        assertThat(Kqueue.TIMESPEC.byteSize()).isEqualTo(16);
    }

    @Test
    void keventRoundTrips() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(Kqueue.KEVENT, 2);
            Kqueue.set(ev, 1, 4242, Kqueue.EVFILT_PROC, (short) (Kqueue.EV_ADD | Kqueue.EV_ONESHOT),
                    Kqueue.NOTE_EXIT | Kqueue.NOTE_EXITSTATUS, 0x0900, 77);
            assertThat(Kqueue.identAt(ev, 1)).isEqualTo(4242);
            assertThat(Kqueue.filterAt(ev, 1)).isEqualTo((short) -5);
            assertThat(Kqueue.flagsAt(ev, 1)).isEqualTo((short) 0x11);
            assertThat(Kqueue.fflagsAt(ev, 1)).isEqualTo(0x84000000);
            assertThat(Kqueue.dataAt(ev, 1)).isEqualTo(0x0900);
            assertThat(Kqueue.udataAt(ev, 1)).isEqualTo(77);
            // raw bytes: filter -5 as int16 little-endian at offset 8 of the second entry
            assertThat(ev.get(ValueLayout.JAVA_BYTE, 32 + 8)).isEqualTo((byte) 0xfb);
            assertThat(Kqueue.identAt(ev, 0)).isZero();
        }
    }

    private static long offset(java.lang.foreign.StructLayout layout, String field) {
        return layout.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement(field));
    }
}
