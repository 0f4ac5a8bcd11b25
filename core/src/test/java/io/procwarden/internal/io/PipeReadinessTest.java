package io.procwarden.internal.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.internal.ffi.Fd;
import io.procwarden.internal.ffi.Kqueue;
import io.procwarden.internal.ffi.PipeIo;
import io.procwarden.internal.ffi.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The readiness mechanism under the pipe ends, on real pipes: one-shot arms report once,
 * watches report while ready, pauses stop them, forget before close; EAGAIN, EOF and EPIPE from
 * the non-blocking calls; the kqueue side's pure-Java parts (filters, keys in udata).
 */
class PipeReadinessTest {
    static final long KEY = 42 | (1L << 62);

    static List<Long> poll(EventWait w, long millis) throws Exception {
        List<Long> keys = new ArrayList<>();
        w.await(TimeUnit.MILLISECONDS.toNanos(millis), keys::add);
        return keys;
    }

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void oneShotArmWatchAndPauseOnARealPipe() throws Exception {
        Fd[] p = Unistd.pipe();
        try (EventWait w = new EventWait(); Fd r = p[0]; Fd wr = p[1]) {
            Unistd.setNonBlocking(r);
            byte[] buf = new byte[16];
            assertThat(PipeIo.read(r, buf, 0, 16)).as("empty pipe: EAGAIN, not EOF").isEqualTo(PipeIo.AGAIN);
            w.arm(r, false, KEY, true);
            assertThat(poll(w, 0)).as("nothing written yet").isEmpty();
            assertThat(PipeIo.write(wr, new byte[] {1, 2, 3}, 0, 3)).isEqualTo(3);
            assertThat(poll(w, 10_000)).containsExactly(KEY);
            assertThat(poll(w, 0)).as("one-shot: reported once though still readable").isEmpty();
            w.watch(r, false, KEY, false);
            assertThat(poll(w, 10_000)).containsExactly(KEY);
            assertThat(poll(w, 10_000)).as("watched: again while readable").containsExactly(KEY);
            w.pause(r, false, KEY);
            assertThat(poll(w, 0)).as("paused").isEmpty();
            assertThat(PipeIo.available(r)).isEqualTo(3);
            assertThat(PipeIo.read(r, buf, 0, 16)).isEqualTo(3);
            wr.close();
            assertThat(PipeIo.read(r, buf, 0, 16)).as("writer gone: end of file").isZero();
            w.forget(r, false);
            w.forget(r, false); // idempotent
        }
    }

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void writeEndReportsWritableAndEpipeOnceTheReaderIsGone() throws Exception {
        Fd[] p = Unistd.pipe();
        try (EventWait w = new EventWait(); Fd wr = p[1]) {
            Unistd.setNonBlocking(wr);
            byte[] big = new byte[1 << 20];
            int n = PipeIo.write(wr, big, 0, big.length);
            assertThat(n).as("a short write fills the pipe").isPositive().isLessThan(big.length);
            assertThat(PipeIo.write(wr, big, 0, 1)).as("full: EAGAIN").isEqualTo(PipeIo.AGAIN);
            w.arm(wr, true, KEY, true);
            assertThat(poll(w, 0)).isEmpty();
            p[0].close();
            assertThat(poll(w, 10_000)).as("the reader's close makes it ready (an error)").containsExactly(KEY);
            try {
                PipeIo.write(wr, big, 0, 1);
                throw new AssertionError("no EPIPE");
            } catch (io.procwarden.SyscallException e) {
                assertThat(e.errnoName()).isEqualTo("EPIPE");
            }
            w.forget(wr, true);
        }
    }

    @Test
    void pipeKeysNeverCollideWithRegistrationKeys() {
        assertThat(PipeHub.isPipeKey(KEY)).isTrue();
        assertThat(PipeHub.isPipeKey(0)).as("the wake-up").isFalse();
        assertThat(PipeHub.isPipeKey(1)).as("the first registration").isFalse();
        assertThat(PipeHub.isPipeKey(Long.MAX_VALUE >>> 2)).isFalse();
    }

    @Test
    void kqueueFiltersAndKeysMarshal() {
        assertThat(KqueueReadiness.filter(false)).isEqualTo(Kqueue.EVFILT_READ).isEqualTo((short) -1);
        assertThat(KqueueReadiness.filter(true)).isEqualTo(Kqueue.EVFILT_WRITE).isEqualTo((short) -2);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(Kqueue.KEVENT, 2);
            Kqueue.set(ev, 1, 7, Kqueue.EVFILT_READ, (short) (Kqueue.EV_ADD | Kqueue.EV_ONESHOT), 0, 0, KEY);
            assertThat(Kqueue.identAt(ev, 1)).isEqualTo(7);
            assertThat(Kqueue.filterAt(ev, 1)).isEqualTo(Kqueue.EVFILT_READ);
            assertThat(Kqueue.udataAt(ev, 1)).as("the pipe key travels in udata").isEqualTo(KEY);
        }
    }
}
