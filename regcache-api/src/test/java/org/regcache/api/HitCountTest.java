package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hits are counted in each entry's state word and moved to the recorder at unlink or when an
 * entry's count grows large: {@link CacheStats#hits()} stays exact through both.
 */
class HitCountTest extends CacheFixture {

    @Test
    void hitsOfUnlinkedEntriesAreKept() throws Exception {
        try (RegistrationCache cache = cache()) {
            for (int r = 0; r < 3; r++) {
                long address = 0x100000 + r * 16 * PAGE;
                cache.acquire(address, PAGE, NONE).close();
                for (int i = 0; i < 10; i++) {
                    cache.acquire(address, 16, NONE).close();
                }
            }
            assertEquals(30, cache.stats().hits());
            unmap(0x100000, PAGE); // entry 0 invalidated
            cache.acquire(0x100000, PAGE, NONE).close(); // drains, unlinks it; a miss
            assertEquals(3, cache.flushIdle()); // entries 1, 2 and the new one: unlinked
            CacheStats s = cache.stats();
            assertEquals(30, s.hits());
            assertEquals(4, s.misses());
        }
    }

    @Test
    void hitsSurviveClose() throws Exception {
        RegistrationCache cache = cache();
        cache.acquire(0x100000, PAGE, NONE).close();
        cache.acquire(0x100000, PAGE, NONE).close();
        cache.close();
        assertEquals(1, cache.stats().hits());
    }

    @Test
    void aLargeCountMovesToTheRecorderWithoutLoss() {
        CacheEntry e = new CacheEntry(1, 0, PAGE, 1, true,
                CacheEntry.INDEXED | (CacheEntry.HITS_MOVED_AT - 1) * CacheEntry.HIT);
        StatsRecorder stats = new StatsRecorder(() -> CacheEntry.hits(e.stateVolatile()));
        assertEquals(CacheEntry.HITS_MOVED_AT - 1, stats.snapshot().hits());
        e.tryPin(true, stats); // reaches HITS_MOVED_AT: all of them move
        assertEquals(0, CacheEntry.hits(e.stateVolatile()));
        assertEquals(1, CacheEntry.refs(e.stateVolatile()));
        assertEquals(CacheEntry.HITS_MOVED_AT, stats.snapshot().hits());
        e.tryPin(true, stats);
        e.tryPin(false, stats); // a miss's pin on a covering entry: not a hit
        assertEquals(CacheEntry.HITS_MOVED_AT + 1, stats.snapshot().hits());
        e.takeHits(stats);
        e.takeHits(stats);
        assertEquals(0, CacheEntry.hits(e.stateVolatile()));
        assertEquals(CacheEntry.HITS_MOVED_AT + 1, stats.snapshot().hits());
        assertEquals(3, CacheEntry.refs(e.stateVolatile()));
    }

    /** Snapshots taken while other threads hit and entries are unlinked never go back. */
    @Test
    void snapshotsAreMonotonicAndExactAtTheEnd() throws Exception {
        int threads = 3;
        int hitsPerThread = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (RegistrationCache cache = cache()) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long address = 0x1000000 + t * 64 * PAGE;
                results.add(pool.submit(() -> {
                    start.await();
                    long hits = 0;
                    for (int i = 0; i < hitsPerThread; i++) {
                        if (i % 500 == 0) {
                            unmap(address, PAGE); // the next acquire unlinks and misses
                        }
                        try (RegistrationHandle h = cache.acquire(address, PAGE, NONE)) {
                            h.lkey();
                        }
                        hits++;
                    }
                    return hits;
                }));
            }
            start.countDown();
            long last = 0;
            while (!results.stream().allMatch(Future::isDone)) {
                long now = cache.stats().hits();
                if (now < last) {
                    throw new AssertionError("hits went back from " + last + " to " + now);
                }
                last = now;
            }
            long acquires = 0;
            for (Future<Long> f : results) {
                acquires += f.get(5, TimeUnit.MINUTES); // only catches a hang
            }
            CacheStats s = cache.stats();
            assertEquals(acquires, s.hits() + s.misses());
            assertEquals(threads * (hitsPerThread / 500), s.misses());
        } finally {
            pool.shutdownNow();
        }
        assertNoViolations();
    }
}
