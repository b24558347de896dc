package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Limits on pinned bytes and entries; only idle entries are evicted. */
class CapacityTest extends CacheFixture {

    @Test
    void pinnedBytesStayWithinTheLimitWhenEntriesAreIdle() throws Exception {
        try (RegistrationCache cache = cache(4 * PAGE, 1000)) {
            for (int i = 0; i < 50; i++) {
                cache.acquire(0x100000 + i * 2 * PAGE, PAGE, NONE).close();
                assertTrue(cache.stats().pinnedBytes() <= 4 * PAGE, "after " + i);
            }
            CacheStats s = cache.stats();
            assertEquals(s.registerCalls() - s.deregisterCalls(), s.pinnedEntries());
            assertEquals(s.deregisterCalls(), s.evictions(EvictionCause.CAPACITY));
            assertTrue(s.evictions(EvictionCause.CAPACITY) >= 46);
        }
        assertNoViolations();
    }

    @Test
    void entryCountStaysWithinTheLimitWhenEntriesAreIdle() throws Exception {
        try (RegistrationCache cache = cache(1 << 30, 3)) {
            for (int i = 0; i < 20; i++) {
                cache.acquire(0x100000 + i * MIB, PAGE, NONE).close();
                assertTrue(cache.stats().pinnedEntries() <= 3, "after " + i);
            }
        }
        assertNoViolations();
    }

    @Test
    void entriesInUseAreNeverEvicted() throws Exception {
        try (RegistrationCache cache = cache(2 * PAGE, 2)) {
            List<RegistrationHandle> held = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                RegistrationHandle h = cache.acquire(0x100000 + i * MIB, PAGE, NONE);
                registrar.inUseByTest.add(fake(h));
                held.add(h);
            }
            assertEquals(0, registrar.deregisters.get());
            assertEquals(6, registrar.live.size());
            for (RegistrationHandle h : held) {
                // still cached and usable: a second acquire hits
                try (RegistrationHandle again = cache.acquire(h.address(), PAGE, NONE)) {
                    assertEquals(h.registration(), again.registration());
                }
            }
            registrar.inUseByTest.clear();
            for (RegistrationHandle h : held) {
                h.close();
            }
            cache.acquire(0x900000, PAGE, NONE).close();
            assertTrue(registrar.live.size() <= 2, "trimmed once idle: " + registrar.live.size());
            assertEquals(0, cache.stats().detachedInUseEntries());
        }
        assertNoViolations();
    }

    @Test
    void requestLargerThanTheCacheIsServedButNotCached() throws Exception {
        try (RegistrationCache cache = cache(4 * PAGE, 10)) {
            RegistrationHandle big = cache.acquire(0x100000, 8 * PAGE, NONE);
            assertEquals(8 * PAGE, big.registration().length());
            assertEquals(1, cache.stats().detachedInUseEntries());
            try (RegistrationHandle other = cache.acquire(0x100000, PAGE, NONE)) {
                assertFalse(other.registration() == big.registration());
            }
            Registration alone = big.registration();
            big.close();
            assertFalse(registrar.live.contains(alone));
            assertEquals(0, cache.stats().detachedInUseEntries());
        }
        assertNoViolations();
    }

    @Test
    void flushIdleDeregistersIdleEntriesOnly() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x100000, PAGE, NONE).close();
            cache.acquire(0x200000, PAGE, NONE).close();
            RegistrationHandle busy = cache.acquire(0x300000, PAGE, NONE);
            assertEquals(2, cache.flushIdle());
            assertEquals(1, registrar.live.size());
            try (RegistrationHandle again = cache.acquire(0x300000, PAGE, NONE)) {
                assertEquals(busy.registration(), again.registration(), "busy entry stays");
            }
            busy.close();
            assertEquals(2, cache.stats().evictions(EvictionCause.EXPLICIT));
        }
        assertNoViolations();
    }
}
