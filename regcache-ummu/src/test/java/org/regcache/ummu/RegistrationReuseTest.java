package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.regcache.api.Access;
import org.regcache.api.InvalidationSink;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/**
 * The kernel registration of an ended watch, kept ("parked") and adopted by a later watch of
 * the same range: no system call, no invalidation lost, a bounded number kept.
 */
class RegistrationReuseTest {
    static final long PAGE = 4096;
    static final long A = 0x7f5600000000L;

    final FakeUmmunotifyDevice device = new FakeUmmunotifyDevice();
    final InvalidationSink sink = mock(InvalidationSink.class);

    UmmunotifyInvalidationSource source(int parked) {
        UmmunotifyInvalidationSource source =
                new UmmunotifyInvalidationSource(device, false, parked);
        source.start(sink);
        return source;
    }

    @Test
    void watchingTheRangeOfAnEndedWatchAgainMakesNoSystemCall() throws Exception {
        UmmunotifyInvalidationSource source = source(4);
        source.watch(1, A, 2 * PAGE);
        source.unwatch(1);
        assertEquals(1, device.registrations(), "parked, not unregistered");
        source.watch(2, A, 2 * PAGE);
        assertEquals(1, device.registerCalls.get(), "adopted, not registered again");
        assertEquals(1, source.reusedRegistrations());
        assertEquals(0, source.keptRegistrations());

        device.invalidate(A + PAGE, A + 2 * PAGE);
        source.drain();
        verify(sink).invalidated(2);
        verify(sink, never()).invalidated(1);
    }

    @Test
    void anInvalidationOfAParkedRangeConcernsNoWatchButTheAdopterHearsTheNext()
            throws Exception {
        UmmunotifyInvalidationSource source = source(4);
        source.watch(1, A, PAGE);
        source.unwatch(1);
        device.invalidate(A, A + PAGE);
        source.drain();
        verify(sink, never()).invalidated(anyLong());

        source.watch(2, A, PAGE);
        device.invalidate(A, A + PAGE); // the registration reports again once its event is read
        source.drain();
        verify(sink).invalidated(2);
    }

    @Test
    void anEventStillQueuedWhenTheRangeIsAdoptedGoesToTheAdopter() throws Exception {
        UmmunotifyInvalidationSource source = source(4);
        source.watch(1, A, PAGE);
        source.unwatch(1);
        device.invalidate(A, A + PAGE); // queued, not read: the driver queues no second one
        source.watch(2, A, PAGE);
        source.drain();
        verify(sink).invalidated(2); // at worst spurious, never lost
    }

    @Test
    void anotherRangeIsRegisteredAfresh() throws Exception {
        UmmunotifyInvalidationSource source = source(4);
        source.watch(1, A, 2 * PAGE);
        source.unwatch(1);
        source.watch(2, A, PAGE);
        source.watch(3, A + PAGE, PAGE);
        assertEquals(3, device.registerCalls.get());
        assertEquals(0, source.reusedRegistrations());
    }

    @Test
    void theNewestEndedRegistrationsAreKeptOnePerRangeTheRestUnregistered()
            throws Exception {
        int parked = 3;
        UmmunotifyInvalidationSource source = source(parked);
        for (int i = 0; i < 5; i++) {
            source.watch(10 + i, A + i * PAGE, PAGE);
            source.watch(20 + i, A + i * PAGE, PAGE); // a second live watch of the same range
        }
        for (int i = 0; i < 5; i++) {
            source.unwatch(10 + i);
            source.unwatch(20 + i);
        }
        assertEquals(parked, source.keptRegistrations());
        assertEquals(parked, device.registrations());
        int calls = device.registerCalls.get();
        source.watch(30, A, PAGE); // the oldest range: given up
        assertEquals(calls + 1, device.registerCalls.get());
        source.watch(31, A + 4 * PAGE, PAGE); // the newest: kept
        assertEquals(calls + 1, device.registerCalls.get());
    }

    @Test
    void withoutParkingEveryEndedWatchIsUnregistered() throws Exception {
        UmmunotifyInvalidationSource source = source(0);
        source.watch(1, A, PAGE);
        source.unwatch(1);
        assertEquals(0, device.registrations());
        source.watch(2, A, PAGE);
        assertEquals(2, device.registerCalls.get());
    }

    @Test
    void aFullDeviceGetsTheParkedSlotsBackBeforeAWatchFails() throws Exception {
        device.maxRegions(2);
        UmmunotifyInvalidationSource source = source(4);
        source.watch(1, A, PAGE);
        source.watch(2, A + PAGE, PAGE);
        source.unwatch(1);
        source.unwatch(2);
        source.watch(3, A + 2 * PAGE, PAGE);
        assertEquals(1, device.registrations());
        assertEquals(0, source.keptRegistrations());
    }

    @Test
    void aCookieGivenAgainByTheCacheDoesNotMeetItsParkedRegistration()
            throws Exception {
        UmmunotifyInvalidationSource source = source(4);
        source.watch(1, A, PAGE);
        source.unwatch(1);
        source.watch(1, A + PAGE, PAGE); // the device must not see the same cookie twice
        assertEquals(2, device.registrations());
        device.invalidate(A, A + PAGE);
        source.drain();
        verify(sink, never()).invalidated(anyLong());
        device.invalidate(A + PAGE, A + 2 * PAGE);
        source.drain();
        verify(sink, times(1)).invalidated(1);
    }

    @Test
    void aBufferMappedAgainAtItsAddressMissesOnceAndReusesItsWatch() throws Exception {
        CountingRegistrar registrar = new CountingRegistrar();
        UmmunotifyInvalidationSource[] source = new UmmunotifyInvalidationSource[1];
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> {
                    source[0] = new UmmunotifyInvalidationSource(device, false);
                    return source[0];
                }).maxPinnedBytes(1L << 30).build()) {
            Registration previous = null;
            for (int round = 0; round < 5; round++) {
                try (RegistrationHandle h = cache.acquire(A, 4 * PAGE,
                        EnumSet.of(Access.LOCAL_WRITE))) {
                    assertNotSame(previous, h.registration(), "round " + round);
                    previous = h.registration();
                }
                device.invalidate(A, A + 4 * PAGE); // munmap + mmap at the same address
            }
            assertEquals(5, registrar.registers.get());
            assertEquals(1, device.registerCalls.get());
            assertEquals(4, source[0].reusedRegistrations());
            assertEquals(4, cache.stats().invalidationsReceived());
        }
    }
}
