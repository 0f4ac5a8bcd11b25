package io.procwarden.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bound on waiting for a non-child's reap: deadlines in order, the next timeout rounded up, forgetting. */
class ReapWaitTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private static Registration reg(long key) {
        return new Registration(key, 1000 + (int) key, false, null, -1);
    }

    @Test
    void deadlinesComeInOrderAndExpire() {
        ReapWait w = new ReapWait(1000);
        Registration a = reg(1);
        Registration b = reg(2);
        assertThat(w.millisToNext(0)).as("nothing waits").isEqualTo(-1);
        w.start(a, 0);
        w.start(b, 10 * MS);
        w.start(a, 500 * MS); // a waits already: its deadline stays
        assertThat(w.isWaiting(a)).isTrue();
        assertThat(w.millisToNext(1)).as("rounded up, never early").isEqualTo(1000);
        assertThat(w.due(999 * MS)).isEmpty();
        assertThat(w.expired(a, 1000 * MS)).isTrue();
        assertThat(w.expired(b, 1000 * MS)).isFalse();
        assertThat(w.due(1000 * MS)).containsExactly(a);
        assertThat(w.due(1010 * MS)).containsExactly(a, b);
        w.forget(a);
        assertThat(w.isWaiting(a)).isFalse();
        assertThat(w.millisToNext(1005 * MS)).isEqualTo(5);
        assertThat(w.millisToNext(2000 * MS)).as("overdue: at once").isZero();
        w.clear();
        assertThat(w.due(Long.MAX_VALUE / 2)).isEmpty();
    }

    @Test
    void zeroMeansNoWaitAndTheRangeIsChecked() {
        assertThat(new ReapWait(0).disabled()).isTrue();
        assertThat(new ReapWait(1).disabled()).isFalse();
        assertThatThrownBy(() -> new ReapWait(-1)).hasMessageContaining(ReapWait.PROPERTY).hasMessageContaining("-1");
        assertThatThrownBy(() -> new ReapWait(60_001)).hasMessageContaining("60001");
    }
}
