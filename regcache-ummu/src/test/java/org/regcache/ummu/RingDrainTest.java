package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.regcache.api.Access;
import org.regcache.api.CacheStats;
import org.regcache.api.EvictionCause;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/**
 * The source's drain from the event ring, on the fake driver's ring, step by step: the miss
 * without a system call, the overflow to read(), entries of cookies nobody watches, and the
 * three orderings of {@code UmmunotifyInvalidationSource.drainRing} forced where they matter:
 * the counter remembered is the one loaded first, the tail is published only after the copy,
 * and OVERFLOW is read().
 */
class RingDrainTest {
    static final long PAGE = 4096;
    static final long BASE = 0x7f5600000000L;
    static final Set<Access> NONE = EnumSet.noneOf(Access.class);
    /** The smallest ring that shows everything: four entries. */
    static final int TINY = 4;

    final FakeRegistrar registrar = new FakeRegistrar();
    UmmunotifyInvalidationSource source;

    /**
     * A cache over {@code registrar} and a source over {@code device}, without background
     * drainer, keeping {@code keptRegistrations}; the source is handed to {@code built}.
     */
    static RegistrationCache cacheOver(FakeRegistrar registrar, UmmunotifyDevice device,
            int keptRegistrations, Consumer<UmmunotifyInvalidationSource> built) {
        return RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> {
                    UmmunotifyInvalidationSource s =
                            new UmmunotifyInvalidationSource(device, false, keptRegistrations);
                    built.accept(s);
                    return s;
                })
                .maxPinnedBytes(1L << 30).build();
    }

    RegistrationCache cache(FakeUmmunotifyDevice device, int keptRegistrations) {
        return cacheOver(registrar, device, keptRegistrations, s -> source = s);
    }

    RegistrationCache cache(FakeUmmunotifyDevice device) {
        return cache(device, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS);
    }

    /** Page {@code i} of the test's memory, two pages apart so that no two merge. */
    static long page(int i) {
        return BASE + 2L * i * PAGE;
    }

    /** Acquires and releases page {@code i}: {@return its registration} */
    static Registration acquire(RegistrationCache cache, int i) throws Exception {
        try (RegistrationHandle h = cache.acquire(page(i), PAGE, NONE)) {
            return h.registration();
        }
    }

    /** An invalidation of pages {@code first} .. {@code last}, in one go. */
    static void invalidate(FakeUmmunotifyDevice device, int first, int last) {
        device.invalidate(page(first), page(last) + PAGE);
    }

    @Test
    void theMissAfterAnInvalidationMakesNoSystemCallOnTheDevice() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, true, 4096);
        try (RegistrationCache cache = cache(device)) {
            Registration before = acquire(cache, 0);
            invalidate(device, 0, 0);
            Registration after = acquire(cache, 0);

            assertNotSame(before, after, "the invalidation made the acquire miss");
            assertEquals(0, device.reads.get(), "no read()");
            assertEquals(1, device.registerCalls.get(), "no REGISTER: the registration kept");
            CacheStats stats = cache.stats();
            assertTrue(stats.eventRingInUse(), stats.toString());
            assertEquals(1, stats.drainsFromRing(), stats.toString());
            assertEquals(0, stats.drainsWithRead(), stats.toString());
        }
    }

    /** Mutant "OVERFLOW ignored": the six hits queued for read() are never delivered. */
    @Test
    void aFullRingOverflowsToReadAndNothingIsLost() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, true, TINY);
        try (RegistrationCache cache = cache(device)) {
            for (int i = 0; i < 10; i++) {
                acquire(cache, i);
            }
            invalidate(device, 0, 9); // four entries in the ring, six hits queued for read()
            assertTrue(device.ringOverflowAcquire(), "the ring overflowed");
            acquire(cache, 10); // drains

            assertEquals(10, cache.stats().evictions(EvictionCause.INVALIDATION),
                    "every hit delivered, from the ring or read(): " + cache.stats());
            assertEquals(1, cache.stats().drainsWithRead());
            assertFalse(device.ringOverflowAcquire(), "read() emptied the queue");

            invalidate(device, 10, 10);
            acquire(cache, 0);
            assertEquals(11, cache.stats().evictions(EvictionCause.INVALIDATION));
            assertEquals(1, cache.stats().drainsFromRing(), "the ring alone, again");
        }
    }

    @Test
    void entriesOfUnregisteredCookiesConcernNobody() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, true, TINY);
        try (RegistrationCache cache = cache(device, 0)) {
            acquire(cache, 0);
            invalidate(device, 0, 0); // an entry for registration 1
            cache.invalidate(page(0), PAGE); // evicted first: UNREGISTER, the entry stays
            assertEquals(0, device.registrations());
            acquire(cache, 1); // drains the entry

            assertEquals(0, cache.stats().invalidationsReceived(), cache.stats().toString());
            assertEquals(1, cache.stats().drainsFromRing());
        }
    }

    /**
     * Mutant "lastSeen = the LAST's counter": the ring overflowed; after the drain published its
     * tail, and before it read() the queue, another invalidation writes an entry into the room
     * made. Its counter move is in the LAST event's counter: remembering that counter leaves the
     * entry in the ring, and page 5's entry keeps the old pages.
     */
    @Test
    void theCounterRememberedIsTheOneLoadedFirstNotTheLastEvents() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, true, TINY);
        try (RegistrationCache cache = cache(device)) {
            for (int i = 0; i < 6; i++) {
                acquire(cache, i);
            }
            Registration page5 = acquire(cache, 5);
            invalidate(device, 0, 4); // pages 0-3 in the ring, page 4 queued for read()
            boolean[] once = {true};
            device.onStep((step, start, end) -> {
                if (step == FakeUmmunotifyDevice.Step.RING_TAIL_PUBLISHED && once[0]) {
                    once[0] = false;
                    invalidate(device, 5, 5); // an entry written after the head was loaded
                }
            });
            acquire(cache, 6); // drains: ring, then read() until LAST

            assertTrue(source.hasPendingInvalidations(),
                    "page 5's entry is behind a counter value after the one loaded first");
            assertNotSame(page5, acquire(cache, 5), "page 5's entry kept its old pages");
            assertEquals(6, cache.stats().evictions(EvictionCause.INVALIDATION));
        }
    }

    /**
     * Mutant "tail published before copying": pages 0-3's entries fill the ring; a drain loads
     * the head, and another invalidation writes pages 4-7's entries as soon as it sees room.
     * Copied before the tail was published, the drain delivers pages 0-3; published first, the
     * kernel wrote over them before the copy, and pages 0-3 are never delivered.
     */
    @Test
    void theTailIsPublishedOnlyAfterTheEntriesWereCopied() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, true, TINY);
        try (RegistrationCache cache = cache(device)) {
            Registration[] before = new Registration[8];
            for (int i = 0; i < 8; i++) {
                before[i] = acquire(cache, i);
            }
            invalidate(device, 0, 3);
            boolean[] once = {true};
            device.onStep((step, start, end) -> {
                if (step == FakeUmmunotifyDevice.Step.RING_TAIL_PUBLISHED && once[0]) {
                    once[0] = false;
                    invalidate(device, 4, 7); // writes wherever the tail allows
                }
            });
            acquire(cache, 8); // drains pages 0-3; 4-7 wait behind the next counter value
            acquire(cache, 8); // drains pages 4-7

            for (int i = 0; i < 8; i++) {
                assertNotSame(before[i], acquire(cache, i), "page " + i + " kept its old pages");
            }
            assertEquals(8, cache.stats().evictions(EvictionCause.INVALIDATION));
            assertEquals(0, device.reads.get(), "all from the ring");
        }
    }

    /** The fake kernel's side: a tail word outside [its last valid tail, head] is ignored. */
    @Test
    void aTailOutsideItsRangeMakesTheRingLookFullAndEventsGoToRead() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, true, TINY);
        try (RegistrationCache cache = cache(device)) {
            for (int i = 0; i < 5; i++) {
                acquire(cache, i);
            }
            invalidate(device, 0, 3); // full
            device.publishRingTail(100); // beyond head: ignored
            invalidate(device, 4, 4);
            assertTrue(device.ringOverflowAcquire(), "queued for read(): the ring is still full");
            Registration page4 = acquire(cache, 4); // drains both
            assertSame(page4, acquire(cache, 4), "nothing more pending");
            assertEquals(5, cache.stats().evictions(EvictionCause.INVALIDATION));
        }
    }
}
