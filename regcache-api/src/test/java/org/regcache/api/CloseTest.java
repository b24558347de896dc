package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** close(): waits for nothing, idle entries go at once, busy ones at their release. */
class CloseTest extends CacheFixture {

    @Test
    void closeDeregistersIdleEntriesAndDefersBusyOnes() throws Exception {
        RegistrationCache cache = cache();
        cache.acquire(0x100000, PAGE, NONE).close();
        cache.acquire(0x200000, PAGE, NONE).close();
        RegistrationHandle busy = cache.acquire(0x300000, PAGE, NONE);
        registrar.inUseByTest.add(fake(busy));
        cache.close();
        assertEquals(1, registrar.live.size());
        assertTrue(source.closed);
        assertEquals(0, source.watches.size());
        assertEquals(busy.lkey(), busy.registration().lkey(), "busy handle still valid");
        CacheClosedException e = assertThrows(CacheClosedException.class,
                () -> cache.acquire(0x100000, PAGE, NONE));
        assertTrue(e.getMessage().contains("closed"));
        registrar.inUseByTest.clear();
        busy.close();
        assertEquals(0, registrar.live.size());
        assertEquals(0, cache.stats().pinnedBytes());
        assertEquals(0, cache.stats().detachedInUseEntries());
        cache.close(); // idempotent
        assertEquals(0, cache.invalidate(0x100000, PAGE));
        assertEquals(0, cache.flushIdle());
        assertNoViolations();
    }

    @Test
    void closeDuringRegistrationHandsOutADetachedEntry() throws Exception {
        RegistrationCache cache = cache();
        registrar.duringRegister = cache::close;
        RegistrationHandle h = cache.acquire(0x100000, PAGE, NONE);
        assertEquals(1, registrar.live.size());
        h.close();
        assertEquals(0, registrar.live.size());
        assertEquals(0, source.watches.size());
        assertNoViolations();
    }
}
