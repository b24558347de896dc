package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Containment, access superset and page alignment of lookups. */
class LookupTest extends CacheFixture {

    @Test
    void smallAcquireInsideCachedLargerRegistrationIsAHit() throws Exception {
        try (RegistrationCache cache = cache()) {
            Registration big;
            try (RegistrationHandle h = cache.acquire(0x100000, MIB, LOCAL_WRITE)) {
                big = h.registration();
            }
            try (RegistrationHandle h = cache.acquire(0x100000 + 5 * PAGE, PAGE, LOCAL_WRITE)) {
                assertSame(big, h.registration());
                assertEquals(0x100000 + 5 * PAGE, h.address());
                assertEquals(PAGE, h.length());
                assertEquals(big.lkey(), h.lkey());
                assertEquals(big.rkey(), h.rkey());
            }
            CacheStats s = cache.stats();
            assertEquals(1, s.hits());
            assertEquals(1, s.misses());
            assertEquals(1, registrar.registers.get());
        }
    }

    @Test
    void rangeReachingPastTheRegistrationIsAMiss() throws Exception {
        try (RegistrationCache cache = cache()) {
            cache.acquire(0x100000, 4 * PAGE, NONE).close();
            try (RegistrationHandle h = cache.acquire(0x100000 + 3 * PAGE, 2 * PAGE, NONE)) {
                assertEquals(0x100000 + 3 * PAGE, h.registration().address());
            }
            assertEquals(2, registrar.registers.get());
        }
    }

    @Test
    void cachedRightsMustBeASupersetOfTheRequest() throws Exception {
        try (RegistrationCache cache = cache()) {
            Registration rw;
            try (RegistrationHandle h = cache.acquire(0x200000, PAGE, RW)) {
                rw = h.registration();
            }
            try (RegistrationHandle h = cache.acquire(0x200000, PAGE, LOCAL_WRITE)) {
                assertSame(rw, h.registration(), "subset of rights: hit");
            }
            Registration local;
            try (RegistrationHandle h = cache.acquire(0x300000, PAGE, LOCAL_WRITE)) {
                local = h.registration();
            }
            try (RegistrationHandle h = cache.acquire(0x300000, PAGE, RW)) {
                assertNotSame(local, h.registration(), "more rights than cached: miss");
                assertEquals(RW, h.registration().access());
            }
        }
    }

    @Test
    void registrationsArePageAligned() throws Exception {
        try (RegistrationCache cache = cache()) {
            try (RegistrationHandle h = cache.acquire(0x1001, 10, NONE)) {
                assertEquals(0x1000, h.registration().address());
                assertEquals(PAGE, h.registration().length());
            }
            try (RegistrationHandle h = cache.acquire(0x5ff0, 0x20, NONE)) {
                assertEquals(0x5000, h.registration().address());
                assertEquals(2 * PAGE, h.registration().length());
            }
        }
    }

    @Test
    void entriesSpanningManyChunksAreFoundFromAnyChunk() throws Exception {
        try (RegistrationCache cache = cache(256 * MIB, 16)) {
            Registration big;
            try (RegistrationHandle h = cache.acquire(0x7f0000001000L, 64 * MIB, NONE)) {
                big = h.registration();
            }
            for (long off = 0; off < 64 * MIB; off += 3 * MIB + PAGE) {
                try (RegistrationHandle h = cache.acquire(0x7f0000001000L + off, 100, NONE)) {
                    assertSame(big, h.registration(), "offset " + off);
                }
            }
            assertEquals(1, registrar.registers.get());
        }
    }

    @Test
    void badRangesAreRejectedNamingTheArgument() {
        try (RegistrationCache cache = cache()) {
            assertEquals("length must be >= 1, was 0", assertThrows(
                    IllegalArgumentException.class, () -> cache.acquire(0x1000, 0, NONE))
                    .getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> cache.acquire(-4096, 1, NONE)).getMessage().startsWith("address"));
            assertThrows(IllegalArgumentException.class,
                    () -> cache.acquire(Long.MAX_VALUE - 10, 5, NONE));
            assertThrows(NullPointerException.class, () -> cache.acquire(0x1000, 1, null));
            assertThrows(IllegalArgumentException.class, () -> cache.invalidate(0, -1));
            assertEquals(0, registrar.registers.get());
        }
    }
}
