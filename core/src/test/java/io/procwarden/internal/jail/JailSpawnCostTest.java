package io.procwarden.internal.jail;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Prints the cost of each jail layer during the build (a small sample; run {@link JailSpawnCost}
 * for the full measurement). Not a timed test: it asserts nothing about speed. Tagged slow: it
 * runs with {@code -Preliability} (as ./run-tests does), not in the default build.
 */
@Tag("slow")
@EnabledOnOs(OS.LINUX)
class JailSpawnCostTest {
    @Test
    void printTheCostOfEachLayer() throws Exception {
        int n = Integer.getInteger("procwarden.jail.costSamples", 30);
        System.out.println("[jail] spawn + wait of /bin/true, " + n + " sequential runs per line:\n" + JailSpawnCost.measure(n));
    }
}
