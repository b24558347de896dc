package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Registration and watch failures: retry after evicting idle entries, never a leak. */
class RegistrationFailureTest extends CacheFixture {
    private static final int EFAULT = 14;

    @Test
    void lackOfResourcesEvictsIdleEntriesAndRetriesOnce() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x100000, PAGE, NONE).close();
            cache.acquire(0x200000, PAGE, NONE).close();
            registrar.failNext(RegistrationException.ENOMEM);
            try (RegistrationHandle h = cache.acquire(0x300000, PAGE, NONE)) {
                assertEquals(0x300000, h.registration().address());
            }
            assertEquals(2, cache.stats().evictions(EvictionCause.CAPACITY));
            assertEquals(1, registrar.live.size());
        }
        assertNoViolations();
    }

    @Test
    void secondLackOfResourcesFailsWithTheRemedy() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x100000, PAGE, NONE).close();
            RegistrationHandle busy = cache.acquire(0x200000, PAGE, NONE);
            registrar.failNext(RegistrationException.EAGAIN, RegistrationException.EAGAIN);
            RegistrationException e = assertThrows(RegistrationException.class,
                    () -> cache.acquire(0x300000, PAGE, NONE));
            assertEquals(RegistrationException.EAGAIN, e.errno());
            assertTrue(e.getMessage().contains("ulimit -l"), e.getMessage());
            assertTrue(e.getMessage().contains("evicting 1 idle"), e.getMessage());
            assertEquals(1, registrar.live.size(), "only the busy one");
            assertEquals(1, source.watches.size(), "the failed entry is unwatched");
            busy.close();
            try (RegistrationHandle h = cache.acquire(0x300000, PAGE, NONE)) {
                assertEquals(0x300000, h.registration().address());
            }
        }
        assertNoViolations();
        assertEquals(0, registrar.live.size());
    }

    @Test
    void otherFailuresPropagateWithoutEvictionOrRetry() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x100000, PAGE, NONE).close();
            registrar.failNext(EFAULT);
            RegistrationException e = assertThrows(RegistrationException.class,
                    () -> cache.acquire(0x300000, PAGE, NONE));
            assertEquals(EFAULT, e.errno());
            assertEquals(0, cache.stats().evictionCount());
            assertEquals(1, registrar.live.size());
            assertEquals(1, source.watches.size());
            assertEquals(2, cache.stats().misses());
        }
        assertNoViolations();
    }

    @Test
    void watchLimitEvictsIdleEntriesAndRetriesOnce() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x100000, PAGE, NONE).close();
            source.failNextWatch(RegistrationException.ENOSPC);
            cache.acquire(0x300000, PAGE, NONE).close();
            assertEquals(1, cache.stats().evictions(EvictionCause.CAPACITY));
            source.failNextWatch(RegistrationException.ENOSPC, RegistrationException.ENOSPC);
            RegistrationException e = assertThrows(RegistrationException.class,
                    () -> cache.acquire(0x500000, PAGE, NONE));
            assertTrue(e.getMessage().contains("max_regions"), e.getMessage());
            assertEquals(0, registrar.live.size());
            assertEquals(0, source.watches.size());
        }
        assertNoViolations();
    }

    @Test
    void registrarReturningTooLittleIsRejectedAndItsRegistrationDropped() throws Exception {
        Registrar shortchanging = new Registrar() {
            @Override
            public Registration register(long address, long length, java.util.Set<Access> a)
                    throws RegistrationException {
                return registrar.register(address, length / 2, a);
            }

            @Override
            public void deregister(Registration r) throws RegistrationException {
                registrar.deregister(r);
            }
        };
        try (RegistrationCache cache = RegistrationCache.builder().registrar(shortchanging)
                .invalidationSource(() -> source).maxPinnedBytes(MIB).build()) {
            RegistrationException e = assertThrows(RegistrationException.class,
                    () -> cache.acquire(0x100000, 2 * PAGE, NONE));
            assertTrue(e.getMessage().contains("must cover"), e.getMessage());
            assertEquals(0, registrar.live.size());
            assertEquals(0, source.watches.size());
        }
        assertNoViolations();
    }
}
