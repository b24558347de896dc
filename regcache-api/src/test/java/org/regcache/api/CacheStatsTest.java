package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link CacheStats#minus}: the counts of an interval; the builder; the names. */
class CacheStatsTest extends CacheFixture {

    private static CacheStats.Builder counting(long base) {
        return CacheStats.builder().hits(base + 1).misses(base + 2).registerCalls(base + 3)
                .deregisterCalls(base + 4).invalidationsReceived(base + 5)
                .evictions(EvictionCause.INVALIDATION, base + 6)
                .evictions(EvictionCause.CAPACITY, base + 7)
                .evictions(EvictionCause.EXPLICIT, base + 8).drainsFromRing(base + 9)
                .drainsWithRead(base + 10);
    }

    @Test
    void minusSubtractsEveryCounterAndKeepsThisSnapshotsGauges() {
        CacheStats earlier = counting(0).pinnedBytes(1).pinnedEntries(2).detachedInUseEntries(3)
                .detachedInUseBytes(4).build();
        CacheStats later = counting(100).pinnedBytes(8192).pinnedEntries(2)
                .detachedInUseEntries(1).detachedInUseBytes(4096)
                .skipsSamePageInvalidations(true).build();

        CacheStats delta = later.minus(earlier);

        assertEquals(CacheStats.builder().hits(100).misses(100).registerCalls(100)
                .deregisterCalls(100).invalidationsReceived(100)
                .evictions(EvictionCause.INVALIDATION, 100)
                .evictions(EvictionCause.CAPACITY, 100).evictions(EvictionCause.EXPLICIT, 100)
                .drainsFromRing(100).drainsWithRead(100)
                .pinnedBytes(8192).pinnedEntries(2).detachedInUseEntries(1)
                .detachedInUseBytes(4096).skipsSamePageInvalidations(true).build(), delta);
        assertEquals(300, delta.evictionCount());
    }

    @Test
    void minusOfTheSameSnapshotCountsNothing() {
        CacheStats s = counting(5).pinnedBytes(4096).pinnedEntries(1).build();
        CacheStats none = s.minus(s);
        assertEquals(0, none.hits() + none.misses() + none.registerCalls()
                + none.deregisterCalls() + none.invalidationsReceived() + none.evictionCount());
        assertEquals(1.0, none.hitRate());
        assertEquals(4096, none.pinnedBytes());
    }

    @Test
    void minusGivesTheHitRateOfAnInterval() throws Exception {
        try (RegistrationCache cache = cache()) {
            for (int i = 0; i < 4; i++) {
                cache.acquire(0x100000 + i * PAGE, PAGE, NONE).close();
            }
            CacheStats before = cache.stats();
            assertEquals(0.0, before.hitRate(), "four misses");
            for (int i = 0; i < 4; i++) {
                cache.acquire(0x100000 + i * PAGE, 16, NONE).close();
            }
            unmap(0x100000, PAGE);
            cache.acquire(0x100000, PAGE, NONE).close();

            CacheStats interval = cache.stats().minus(before);

            assertEquals(4, interval.hits());
            assertEquals(1, interval.misses());
            assertEquals(0.8, interval.hitRate(), 1e-12);
            assertEquals(1, interval.registerCalls(), "the re-registration of the lost page");
            assertEquals(1, interval.deregisterCalls(), "the invalidated registration");
            assertEquals(1, interval.invalidationsReceived());
            assertEquals(1, interval.evictions(EvictionCause.INVALIDATION));
            assertEquals(4, interval.pinnedEntries(), "a gauge: the cache's now");
        }
    }

    @Test
    void minusRefusesALaterSnapshotNamingTheCounter() {
        CacheStats earlier = counting(0).build();
        CacheStats later = counting(0).hits(50).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> earlier.minus(later));
        assertEquals("minus(earlier): earlier.hits() is 50, more than this snapshot's 1: pass"
                + " a snapshot of the same cache taken before this one", e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> counting(0).build()
                .minus(counting(0).evictions(EvictionCause.CAPACITY, 9).build())).getMessage()
                .contains("earlier.evictions(CAPACITY)() is 9"));
    }

    @Test
    void registerCallsCountCallsAndPinnedEntriesTheLiveOnes() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x100000, PAGE, NONE).close();
            unmap(0x100000, PAGE);
            cache.acquire(0x100000, PAGE, NONE).close();
            CacheStats s = cache.stats();
            assertEquals(2, s.registerCalls());
            assertEquals(1, s.deregisterCalls());
            assertEquals(1, s.pinnedEntries());
            assertEquals(s.registerCalls() - s.deregisterCalls(), s.pinnedEntries());
        }
    }

    @Test
    void theBuilderStartsAtZeroAndNamesANegativeValue() {
        CacheStats zero = CacheStats.builder().build();
        assertEquals(0, zero.hits() + zero.misses() + zero.registerCalls()
                + zero.deregisterCalls() + zero.invalidationsReceived() + zero.evictionCount()
                + zero.pinnedBytes() + zero.pinnedEntries() + zero.detachedInUseEntries()
                + zero.detachedInUseBytes());
        assertEquals(false, zero.skipsSamePageInvalidations());
        assertEquals("registerCalls must be >= 0, was -1", assertThrows(
                IllegalArgumentException.class,
                () -> CacheStats.builder().registerCalls(-1).build()).getMessage());
    }
}
