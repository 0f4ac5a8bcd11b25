package io.procwarden.internal.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcStatTest {
    @Test
    void commWithSpacesAndParenthesesIsSkipped() {
        String line = "4242 (we ird) (name)) Z 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 "
                + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        ProcStat s = ProcStat.parse(4242, line);
        assertThat(s.state()).isEqualTo('Z');
        assertThat(s.ppid()).isEqualTo(17);
        assertThat(s.pgrp()).isEqualTo(4242);
        assertThat(s.session()).isEqualTo(4242);
        assertThat(s.startTime()).isEqualTo(987654);
        assertThat(s.hasExited()).isTrue();
    }

    @Test
    void ourOwnStatParses() {
        long self = ProcessHandle.current().pid();
        ProcStat s = ProcStat.read((int) self).orElseThrow();
        assertThat(s.state()).isIn('R', 'S');
        assertThat(s.ppid()).isEqualTo(ProcessHandle.current().parent().orElseThrow().pid());
        assertThat(s.startTime()).isPositive();
    }

    @Test
    void malformedIsRejectedWithTheText() {
        assertThatThrownBy(() -> ProcStat.parse(1, "garbage")).hasMessageContaining("garbage");
    }
}
