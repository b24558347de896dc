package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Handles are released exactly once; a second release is an error, not a double free. */
class HandleTest extends CacheFixture {

    @Test
    void secondReleaseThrowsAndDoesNotDeregisterTwice() throws Exception {
        try (RegistrationCache cache = cache()) {
            RegistrationHandle h = cache.acquire(0x10000, PAGE, NONE);
            cache.invalidate(0x10000, PAGE); // detached: the release deregisters
            h.close();
            assertEquals(1, registrar.deregisters.get());
            assertThrows(IllegalStateException.class, h::close);
            assertEquals(1, registrar.deregisters.get());
            assertEquals(0, cache.stats().detachedInUseEntries());
        }
        assertNoViolations();
    }

    @Test
    void secondReleaseOfACachedHandleLeavesTheReferenceCountAlone() throws Exception {
        try (RegistrationCache cache = cache()) {
            RegistrationHandle first = cache.acquire(0x10000, PAGE, NONE);
            RegistrationHandle second = cache.acquire(0x10000, PAGE, NONE);
            first.close();
            assertThrows(IllegalStateException.class, first::close);
            registrar.inUseByTest.add(fake(second));
            cache.invalidate(0x10000, PAGE);
            assertEquals(0, registrar.deregisters.get(), "still held by the second handle");
            registrar.inUseByTest.clear();
            second.close();
            assertEquals(1, registrar.deregisters.get());
        }
        assertNoViolations();
    }

    @Test
    void releasedHandleRefusesToHandOutItsKeys() throws Exception {
        try (RegistrationCache cache = cache()) {
            RegistrationHandle h = cache.acquire(0x10000, PAGE, NONE);
            h.close();
            assertThrows(IllegalStateException.class, h::lkey);
            assertThrows(IllegalStateException.class, h::rkey);
            assertThrows(IllegalStateException.class, h::registration);
            assertEquals(0x10000, h.address());
        }
    }

    @Test
    void uncachedHandlesRegisterAndDeregisterEachTime() throws Exception {
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .uncached().build()) {
            RegistrationHandle a = cache.acquire(0x10001, 10, LOCAL_WRITE);
            RegistrationHandle b = cache.acquire(0x10001, 10, LOCAL_WRITE);
            assertEquals(0x10000, a.registration().address());
            assertEquals(2, registrar.live.size());
            a.close();
            assertThrows(IllegalStateException.class, a::close);
            assertEquals(1, registrar.live.size());
            assertEquals(0, cache.invalidate(0x10000, PAGE));
            assertEquals(0, cache.flushIdle());
            cache.close();
            assertThrows(CacheClosedException.class, () -> cache.acquire(0x10000, 1, NONE));
            b.close();
            assertEquals(0, registrar.live.size());
            CacheStats s = cache.stats();
            assertEquals(2, s.misses());
            assertEquals(2, s.registerCalls());
            assertEquals(2, s.deregisterCalls());
            assertEquals(0, s.pinnedBytes());
        }
        assertNoViolations();
    }
}
