package org.regcache.e2e.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.regcache.api.CacheStats;
import org.regcache.e2e.memory.ChurnKind;

class WorkloadResultTest {
    static CacheStats stats(long hits, long misses, long registerCalls, long invalidations) {
        return CacheStats.builder().hits(hits).misses(misses).registerCalls(registerCalls)
                .invalidationsReceived(invalidations).build();
    }

    static TransferTotals totals(long transfers, long bytes, long corrupted) {
        return new TransferTotals(transfers, bytes, corrupted, 0, 0, Map.of(), 0);
    }

    @Test
    void derivedFiguresFollowTheCounts() {
        WorkloadResult r = new WorkloadResult("b", 2_000_000_000L, totals(1000, 4 << 20, 0),
                stats(900, 100, 100, 7), List.of(), null);
        assertEquals(0.9, r.hitRate(), 1e-9);
        assertEquals(900, r.registrationsAvoided());
        assertEquals(2 << 20, r.bytesPerSecond(), 1e-6);
        assertEquals(500, r.transfersPerSecond(), 1e-9);
    }

    @Test
    void runsOnOneCacheAddUpAndKeepTheLaterCacheCounters() {
        WorkloadResult first = new WorkloadResult("b", 1_000, totals(10, 100, 1),
                stats(5, 5, 5, 1), List.of("first"), null);
        WorkloadResult second = new WorkloadResult("b", 3_000, new TransferTotals(20, 200, 0,
                2, 3, Map.of(ChurnKind.MUNMAP_MMAP, 2L), 0), stats(20, 10, 10, 4),
                List.of("second"), "broke");
        WorkloadResult both = first.followedBy(second);
        assertEquals(4_000, both.elapsedNanos());
        assertEquals(30, both.totals().transfers());
        assertEquals(300, both.totals().bytes());
        assertEquals(3, both.totals().corrupted());
        assertEquals(Map.of(ChurnKind.MUNMAP_MMAP, 2L), both.totals().corruptedAfter());
        assertEquals(second.stats(), both.stats());
        assertEquals(List.of("first", "second"), both.corruptions());
        assertEquals("broke", both.failure());
        assertFalse(both.completed());
    }

    @Test
    void anUncachedRunAvoidsNothing() {
        WorkloadResult r = new WorkloadResult("a", 1, totals(50, 50, 0), stats(0, 50, 50, 0),
                List.of(), null);
        assertEquals(0, r.hitRate());
        assertEquals(0, r.registrationsAvoided());
    }

    @Test
    void badValuesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WorkloadResult("a", 0,
                totals(1, 1, 0), stats(0, 0, 0, 0), List.of(), null));
        assertThrows(IllegalArgumentException.class, () -> totals(-1, 0, 0));
    }
}
