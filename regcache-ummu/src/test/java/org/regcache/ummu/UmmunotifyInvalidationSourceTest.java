package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.regcache.api.Access;
import org.regcache.api.EvictionCause;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/** The counter protocol between the cache and /dev/ummunotify, on a mock and a fake device. */
class UmmunotifyInvalidationSourceTest {
    static final long PAGE = 4096;
    static final Set<Access> NONE = EnumSet.noneOf(Access.class);

    final FakeUmmunotifyDevice device = new FakeUmmunotifyDevice();
    final FakeRegistrar registrar = new FakeRegistrar();

    /** The source of the last cache(...) built. */
    UmmunotifyInvalidationSource source;

    RegistrationCache cache(UmmunotifyDevice d, boolean backgroundDrainer) {
        return RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> {
                    source = new UmmunotifyInvalidationSource(d, backgroundDrainer);
                    return source;
                })
                .maxPinnedBytes(1L << 30).maxEntries(100_000).build();
    }

    /** Mock answer for read(): writes these records {type, flags, cookieOrCounter}. */
    static org.mockito.stubbing.Answer<Integer> records(long[]... records) {
        return invocation -> {
            EventBuffer buffer = invocation.getArgument(0);
            for (int i = 0; i < records.length; i++) {
                buffer.put(i, (int) records[i][0], (int) records[i][1], 0, 0, records[i][2]);
            }
            return records.length;
        };
    }

    @Test
    void hitWithAnUnchangedCounterMakesNoSystemCall() throws Exception {
        UmmunotifyDevice mockDevice = mock(UmmunotifyDevice.class);
        when(mockDevice.counterAcquire()).thenReturn(0L);
        try (RegistrationCache cache = cache(mockDevice, false)) {
            for (int i = 0; i < 100; i++) {
                cache.acquire(0x10000 + i % 7, 100, NONE).close();
            }
            verify(mockDevice, times(1)).registerRegion(0x10000, 0x11000, 1);
            verify(mockDevice, times(100)).counterAcquire();
            verify(mockDevice).reportsAtEnd(); // at construction: a field, no system call
            verify(mockDevice).ringEntries(); // at construction: a field, no system call
            verifyNoMoreInteractions(mockDevice); // no read(), no poll(), no ioctl
            assertEquals(99, cache.stats().hits());
        }
    }

    @Test
    void eachRegistrationIsWatchedUnderItsOwnCookieForItsRange() throws Exception {
        RegistrationCache cache = cache(device, false);
        Set<Long> cookies = new HashSet<>();
        for (long address : new long[] {0x10000, 0x20001, 0x7f0000003000L}) {
            try (RegistrationHandle h = cache.acquire(address, 3 * PAGE, NONE)) {
                Registration r = h.registration();
                assertEquals(address & -PAGE, r.address());
                long cookie = cookies.size() + 1;
                assertEquals(r.address(), device.range(cookie)[0]);
                assertEquals(r.address() + r.length(), device.range(cookie)[1]);
                cookies.add(cookie);
            }
        }
        assertEquals(3, device.registrations());
        cache.close();
        assertEquals(3, source.keptRegistrations(), "kept for a later watch of each range");
        assertTrue(device.closed, "and released with the file");
    }

    @Test
    void partialInvalidationWithHintInvalidatesTheWholeRegistration() throws Exception {
        try (RegistrationCache cache = cache(device, false)) {
            Registration old;
            try (RegistrationHandle h = cache.acquire(0x100000, 4 * PAGE, NONE)) {
                old = h.registration();
            }
            device.invalidate(0x100000 + 2 * PAGE, 0x100000 + 3 * PAGE);
            try (RegistrationHandle h = cache.acquire(0x100000, PAGE, NONE)) {
                assertNotSame(old, h.registration());
            }
            assertEquals(1, device.reads.get());
            assertEquals(1, cache.stats().evictions(EvictionCause.INVALIDATION));
            assertEquals(1, source.keptRegistrations(), "old registration parked");
            assertEquals(2, device.registrations(), "and the new range registered");
            assertTrue(!registrar.live.contains(old));
        }
    }

    @Test
    void repeatedInvalidationWithoutHintInvalidatesToo() throws Exception {
        try (RegistrationCache cache = cache(device, false)) {
            RegistrationHandle h = cache.acquire(0x100000, 4 * PAGE, NONE);
            Registration old = h.registration();
            h.close();
            device.invalidate(0x100000, 0x100000 + PAGE);
            device.invalidate(0x100000 + 3 * PAGE, 0x100000 + 4 * PAGE); // merged: no hint
            try (RegistrationHandle again = cache.acquire(0x100000 + 3 * PAGE, PAGE, NONE)) {
                assertNotSame(old, again.registration());
            }
            assertEquals(1, cache.stats().invalidationsReceived());
        }
    }

    @Test
    void eventsForDeadCookiesAreIgnored() throws Exception {
        UmmunotifyDevice mockDevice = mock(UmmunotifyDevice.class);
        when(mockDevice.counterAcquire()).thenReturn(0L, 1L);
        when(mockDevice.read(any())).thenAnswer(records(
                new long[] {UmmunotifyAbi.EVENT_TYPE_INVAL, 0, 999},
                new long[] {UmmunotifyAbi.EVENT_TYPE_LAST, 0, 1}));
        try (RegistrationCache cache = cache(mockDevice, false)) {
            RegistrationHandle h = cache.acquire(0x10000, PAGE, NONE); // counter 0
            Registration kept = h.registration();
            h.close();
            try (RegistrationHandle again = cache.acquire(0x10000, PAGE, NONE)) { // counter 1
                assertSame(kept, again.registration());
            }
            assertEquals(0, cache.stats().invalidationsReceived(), "concerns no watch");
            assertEquals(0, cache.stats().evictionCount());
            verify(mockDevice, times(1)).read(any());
        }
    }

    @Test
    void drainReadsBatchesUntilTheLastEvent() throws Exception {
        int entries = 3 * UmmunotifyInvalidationSource.EVENTS_PER_READ + 10;
        try (RegistrationCache cache = cache(device, false)) {
            for (int i = 0; i < entries; i++) {
                cache.acquire(0x40000000L + i * 2 * PAGE, PAGE, NONE).close();
            }
            device.invalidate(0x40000000L, 0x40000000L + entries * 2 * PAGE);
            cache.acquire(0x10000, PAGE, NONE).close();
            assertEquals(4, device.reads.get());
            assertEquals(entries, cache.stats().evictions(EvictionCause.INVALIDATION));
            assertEquals(1, registrar.live.size());
            assertEquals(UmmunotifyInvalidationSource.KEPT_REGISTRATIONS,
                    source.keptRegistrations(), "the newest ended registrations, no more");
            assertEquals(1 + UmmunotifyInvalidationSource.KEPT_REGISTRATIONS,
                    device.registrations(), "the rest unregistered");
        }
    }

    @Test
    void counterMovingDuringTheDrainIsLeftForTheNextAcquire() throws Exception {
        UmmunotifyDevice mockDevice = mock(UmmunotifyDevice.class);
        when(mockDevice.reportsAtEnd()).thenReturn(true); // else no registration is kept
        // acquire 1: counter 0 (miss, registration 1); acquire 2: counter 1, drain sees 1
        // then 2 while reading, LAST says 1; acquire 3: counter 2 != 1, drains again. The
        // misses of acquires 2 and 3 watch the same range again: registration 1 serves them.
        when(mockDevice.counterAcquire()).thenReturn(0L, 1L, 1L, 2L, 2L, 2L, 2L);
        when(mockDevice.read(any())).thenAnswer(records(
                new long[] {UmmunotifyAbi.EVENT_TYPE_INVAL, UmmunotifyAbi.EVENT_FLAG_HINT, 1},
                new long[] {UmmunotifyAbi.EVENT_TYPE_LAST, 0, 1})).thenAnswer(records(
                new long[] {UmmunotifyAbi.EVENT_TYPE_INVAL, 0, 1},
                new long[] {UmmunotifyAbi.EVENT_TYPE_LAST, 0, 2}));
        try (RegistrationCache cache = cache(mockDevice, false)) {
            cache.acquire(0x10000, PAGE, NONE).close();
            cache.acquire(0x10000, PAGE, NONE).close(); // drains, misses
            assertEquals(1, cache.stats().evictions(EvictionCause.INVALIDATION));
            cache.acquire(0x10000, PAGE, NONE).close(); // drains again, misses
            assertEquals(2, cache.stats().evictions(EvictionCause.INVALIDATION));
            verify(mockDevice, times(2)).read(any());
            verify(mockDevice, times(1)).registerRegion(anyLong(), anyLong(), anyLong());
            verify(mockDevice, never()).unregisterRegion(anyLong());
            assertEquals(3, registrar.registers.get());
            assertEquals(2, source.reusedRegistrations());
        }
    }

    @Test
    void readFindingNothingAlthoughTheCounterMovedInvalidatesEverything() throws Exception {
        UmmunotifyDevice mockDevice = mock(UmmunotifyDevice.class);
        when(mockDevice.counterAcquire()).thenReturn(0L, 0L, 5L);
        when(mockDevice.read(any())).thenReturn(0);
        try (RegistrationCache cache = cache(mockDevice, false)) {
            cache.acquire(0x10000, PAGE, NONE).close();
            cache.acquire(0x20000, PAGE, NONE).close();
            cache.acquire(0x30000, PAGE, NONE).close(); // counter 5: read() has nothing
            assertEquals(2, cache.stats().evictions(EvictionCause.INVALIDATION));
            cache.acquire(0x30000, PAGE, NONE).close(); // counter still 5: resynchronised
            verify(mockDevice, times(1)).read(any());
            assertEquals(1, cache.stats().hits());
        }
    }

    @Test
    void watchLimitEvictsIdleEntriesAndRetries() throws Exception {
        device.maxRegions(2);
        try (RegistrationCache cache = cache(device, false)) {
            cache.acquire(0x10000, PAGE, NONE).close();
            cache.acquire(0x20000, PAGE, NONE).close();
            try (RegistrationHandle h = cache.acquire(0x30000, PAGE, NONE)) {
                assertEquals(0x30000, h.registration().address());
            }
            assertEquals(2, cache.stats().evictions(EvictionCause.CAPACITY));
            assertEquals(1, device.registrations());
        }
    }

    @Test
    void backgroundDrainerReleasesInvalidatedIdleEntriesWithoutAnAcquire() throws Exception {
        try (RegistrationCache cache = cache(device, true)) {
            cache.acquire(0x10000, PAGE, NONE).close();
            RegistrationHandle busy = cache.acquire(0x50000, PAGE, NONE);
            assertEquals(2, registrar.live.size());
            device.invalidate(0, 0x100000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (registrar.live.size() > 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, registrar.live.size(), "idle entry deregistered by the drainer");
            assertEquals(1, cache.stats().detachedInUseEntries());
            busy.close();
            assertEquals(0, registrar.live.size());
        }
    }

    @Test
    void closedSourceRefusesWatchesAndIgnoresTheRest() throws Exception {
        UmmunotifyInvalidationSource source = new UmmunotifyInvalidationSource(device, false);
        source.start(mock(org.regcache.api.InvalidationSink.class));
        source.watch(1, 0x1000, PAGE);
        source.close();
        assertTrue(device.closed);
        assertThrows(IllegalStateException.class, () -> source.watch(2, 0x1000, PAGE));
        source.unwatch(1);
        source.drain();
        assertNotEquals("", source.toString());
    }

    @Test
    void unchangedCounterMeansNoPendingInvalidation() throws Exception {
        UmmunotifyInvalidationSource source = new UmmunotifyInvalidationSource(device, false);
        org.regcache.api.InvalidationSink sink = mock(org.regcache.api.InvalidationSink.class);
        source.start(sink);
        source.watch(7, 0x1000, PAGE);
        assertTrue(!source.hasPendingInvalidations());
        device.invalidate(0x1000, 0x2000);
        assertTrue(source.hasPendingInvalidations());
        source.drain();
        assertTrue(!source.hasPendingInvalidations());
        verify(sink).invalidated(7);
        verify(sink, atLeastOnce()).drainCompleted();
        verify(sink, never()).invalidatedAll();
        verify(sink, times(1)).invalidated(anyLong());
        source.close();
    }
}
