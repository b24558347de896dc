package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What invalidations (from the source or explicit) do to idle and busy entries. */
class InvalidationTest extends CacheFixture {

    @Test
    void hitWithNothingPendingDoesNotDrain() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x10000, PAGE, NONE).close();
            for (int i = 0; i < 100; i++) {
                cache.acquire(0x10000, 16, NONE).close();
            }
            assertEquals(0, source.drains.get());
            assertEquals(100, cache.stats().hits());
        }
    }

    @Test
    void invalidatedIdleEntryIsDeregisteredAndTheNextAcquireMisses() throws Exception {
        try (RegistrationCache cache = cache()) {
            RegistrationHandle h = cache.acquire(0x10000, 4 * PAGE, NONE);
            Registration old = h.registration();
            h.close();
            unmap(0x10000 + PAGE, 1); // partial change: the whole registration is stale
            try (RegistrationHandle again = cache.acquire(0x10000, PAGE, NONE)) {
                assertNotSame(old, again.registration());
                assertTrue(fake(again).isCurrent(registrar, 0x10000, PAGE));
            }
            assertFalse(registrar.live.contains(old));
            CacheStats s = cache.stats();
            assertEquals(1, s.invalidationsReceived());
            assertEquals(1, s.evictions(EvictionCause.INVALIDATION));
            assertEquals(1, s.deregisterCalls());
            assertEquals(1, source.drains.get());
        }
        assertNoViolations();
    }

    @Test
    void invalidatedEntryInUseIsDetachedAndDeregisteredAtLastRelease() throws Exception {
        try (RegistrationCache cache = cache()) {
            RegistrationHandle busy = cache.acquire(0x10000, 2 * PAGE, NONE);
            RegistrationHandle busy2 = cache.acquire(0x10000, PAGE, NONE);
            registrar.inUseByTest.add(fake(busy));
            unmap(0x10000, PAGE);
            try (RegistrationHandle fresh = cache.acquire(0x10000, PAGE, NONE)) {
                assertNotSame(busy.registration(), fresh.registration(),
                        "a detached entry leaves the index at once");
            }
            CacheStats s = cache.stats();
            assertEquals(1, s.detachedInUseEntries());
            assertEquals(2 * PAGE, s.detachedInUseBytes());
            assertTrue(registrar.live.contains(busy.registration()));
            Registration detached = busy.registration();
            busy.close();
            assertTrue(registrar.live.contains(detached), "one handle still live");
            registrar.inUseByTest.clear();
            busy2.close();
            assertFalse(registrar.live.contains(detached));
            assertEquals(0, cache.stats().detachedInUseEntries());
            assertEquals(0, cache.stats().detachedInUseBytes());
        }
        assertNoViolations();
    }

    @Test
    void invalidationDuringRegistrationDetachesTheNewEntry() throws Exception {
        try (RegistrationCache cache = cache()) {
            registrar.duringRegister = () -> {
                registrar.duringRegister = () -> { };
                unmap(0x40000, PAGE);
                // another thread's acquire drains meanwhile
                source.drain();
            };
            RegistrationHandle h = cache.acquire(0x40000, PAGE, NONE);
            assertEquals(1, cache.stats().detachedInUseEntries());
            try (RegistrationHandle next = cache.acquire(0x40000, PAGE, NONE)) {
                assertNotSame(h.registration(), next.registration());
                assertTrue(fake(next).isCurrent(registrar, 0x40000, PAGE));
            }
            h.close();
            assertEquals(0, cache.stats().detachedInUseEntries());
            assertEquals(1, registrar.live.size());
        }
        assertNoViolations();
        assertEquals(0, registrar.live.size());
    }

    @Test
    void invalidationsForDeadOrUnknownCookiesAreIgnored() throws Exception {
        try (RegistrationCache cache = cache()) {
            RegistrationHandle h = cache.acquire(0x10000, PAGE, NONE);
            Registration kept = h.registration();
            h.close();
            source.reportCookie(987654321L);
            cache.acquire(0x90000, PAGE, NONE).close();
            cache.invalidate(0x90000, PAGE); // its cookie is dead now
            source.reportCookie(2);
            try (RegistrationHandle again = cache.acquire(0x10000, PAGE, NONE)) {
                assertSame(kept, again.registration());
            }
            assertEquals(2, cache.stats().invalidationsReceived());
            assertEquals(0, cache.stats().evictions(EvictionCause.INVALIDATION));
        }
        assertNoViolations();
    }

    @Test
    void changesOutsideTheRegistrationKeepIt() throws Exception {
        try (RegistrationCache cache = cache()) {
            RegistrationHandle h = cache.acquire(0x10000, PAGE, NONE);
            Registration kept = h.registration();
            h.close();
            unmap(0x11000, PAGE);
            unmap(0x0f000, PAGE);
            try (RegistrationHandle again = cache.acquire(0x10000, PAGE, NONE)) {
                assertSame(kept, again.registration());
            }
        }
    }

    @Test
    void explicitInvalidateRemovesOverlappingEntriesOnly() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x10000, PAGE, NONE).close();
            cache.acquire(0x20000, PAGE, NONE).close();
            RegistrationHandle busy = cache.acquire(0x30000, 3 * MIB, NONE);
            assertEquals(2, cache.invalidate(0x20000, 0x20000 + 2 * MIB));
            assertEquals(2, registrar.live.size(), "0x10000 cached, 0x30000 in use");
            assertEquals(1, cache.stats().detachedInUseEntries());
            busy.close();
            assertEquals(1, registrar.live.size());
            assertEquals(2, cache.stats().evictions(EvictionCause.EXPLICIT));
            assertEquals(0, cache.invalidate(0x20000, 0x20000 + 2 * MIB));
            assertEquals(1, cache.invalidate(0, Long.MAX_VALUE - PAGE));
            assertEquals(0, registrar.live.size());
        }
        assertNoViolations();
    }

    @Test
    void deregistrationNeverRunsWhileTheSourceDelivers() throws Exception {
        Registrar checking = new Registrar() {
            @Override
            public Registration register(long a, long l, java.util.Set<Access> x)
                    throws RegistrationException {
                return registrar.register(a, l, x);
            }

            @Override
            public void deregister(Registration r) throws RegistrationException {
                if (source.delivering) {
                    registrar.violations.add("deregistered inside the sink");
                }
                registrar.deregister(r);
            }
        };
        try (RegistrationCache c = RegistrationCache.builder().registrar(checking)
                .invalidationSource(() -> source).maxPinnedBytes(MIB).build()) {
            for (int i = 0; i < 20; i++) {
                c.acquire(0x100000 + i * PAGE, PAGE, NONE).close();
            }
            unmap(0x100000, 20 * PAGE);
            c.acquire(0x900000, PAGE, NONE).close();
            assertEquals(20, c.stats().evictions(EvictionCause.INVALIDATION));
            assertEquals(20, registrar.deregisters.get());
        }
        assertNoViolations();
    }

    @Test
    void sourceThatLostTrackInvalidatesEverything() throws Exception {
        RegistrationCache cache = cache();
        cache.acquire(0x100000, PAGE, NONE).close();
        RegistrationHandle busy = cache.acquire(0x200000, PAGE, NONE);
        ((InvalidationSink) cache).invalidatedAll();
        ((InvalidationSink) cache).drainCompleted();
        assertEquals(1, registrar.live.size());
        assertEquals(2, cache.stats().evictions(EvictionCause.INVALIDATION));
        try (RegistrationHandle again = cache.acquire(0x200000, PAGE, NONE)) {
            assertNotSame(busy.registration(), again.registration());
        }
        busy.close();
        cache.close();
        assertEquals(0, registrar.live.size());
        assertNoViolations();
    }
}
