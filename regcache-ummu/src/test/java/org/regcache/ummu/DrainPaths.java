package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.regcache.api.CacheStats;

/**
 * What a test run in a {@link DeviceMode} must have drained through, by {@link CacheStats}: a
 * ring mode's drains took entries from the ring, and the tiny ring's also read() after it
 * overflowed; a mode without a ring never took anything from one.
 */
final class DrainPaths {
    private DrainPaths() {
    }

    static void assertTaken(DeviceMode mode, CacheStats stats) {
        assertEquals(mode.ringEntries != 0, stats.eventRingInUse(), "ring in use: " + stats);
        if (mode.ringEntries == 0) {
            assertEquals(0, stats.drainsFromRing(), "drains from a ring without one: " + stats);
            assertTrue(stats.drainsWithRead() > 0, "no drain read(): " + stats);
            return;
        }
        assertTrue(stats.drainsFromRing() > 0, "no drain took from the ring alone: " + stats);
        if (mode.ringEntries == DeviceMode.TINY_RING) {
            assertTrue(stats.drainsWithRead() > 0, "the tiny ring never overflowed: " + stats);
        }
    }
}
