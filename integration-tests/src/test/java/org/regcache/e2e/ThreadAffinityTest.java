package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class ThreadAffinityTest {
    private static BitSet cpus(int... cpus) {
        BitSet set = new BitSet();
        for (int cpu : cpus) {
            set.set(cpu);
        }
        return set;
    }

    @Test
    void parsesSingleCpusAndRangesAsSysfsWritesThem() {
        assertEquals(cpus(0), ThreadAffinity.parseCpuList("0"));
        assertEquals(cpus(0, 1, 2, 3, 8, 10, 11), ThreadAffinity.parseCpuList("0-3,8,10-11"));
        assertEquals(cpus(64, 65), ThreadAffinity.parseCpuList("64-65"));
    }

    @Test
    void aNodeWithoutCpusHasAnEmptyList() {
        assertEquals(new BitSet(), ThreadAffinity.parseCpuList(""));
    }

    @Test
    void somethingElseIsRefusedWithTheList() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ThreadAffinity.parseCpuList("0-x"));
        assertEquals("not a CPU list: 0-x", e.getMessage());
    }
}
