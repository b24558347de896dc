package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.regcache.api.Access;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.InvalidationSink;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/**
 * The kernel registration of an ended watch, kept ("parked") and adopted by a later watch of
 * the same range: no system call, no invalidation lost (also one in progress at the adoption,
 * thanks to REPORT_AT_END), a bounded number kept, none without REPORT_AT_END; and the
 * recipient of a new registration, named before REGISTER returns.
 */
class RegistrationReuseTest {
    static final long PAGE = 4096;
    static final long A = 0x7f5600000000L;
    static final Set<Access> NONE = EnumSet.noneOf(Access.class);

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
    void aDeviceWithoutReportAtEndKeepsNoRegistration() throws Exception {
        FakeUmmunotifyDevice olderModule = new FakeUmmunotifyDevice(false, false);
        UmmunotifyInvalidationSource source = new UmmunotifyInvalidationSource(olderModule,
                false, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS);
        source.start(sink);
        source.watch(1, A, PAGE);
        source.unwatch(1);
        assertEquals(0, olderModule.registrations(), "unregistered, not kept");
        source.watch(2, A, PAGE);
        assertEquals(2, olderModule.registerCalls.get(), "registered again");
        assertEquals(0, source.reusedRegistrations());
        assertFalse(source.reportsInvalidationsAtEnd());
    }

    @Test
    void anEventReadWhileItsInvalidationIsInProgressIsReportedToTheAdopterAtItsEnd()
            throws Exception {
        UmmunotifyInvalidationSource source = source(4);
        source.watch(1, A, PAGE);
        FakeUmmunotifyDevice.Invalidation madvise = device.start(A, A + PAGE);
        source.drain(); // the event is read, the pages not yet replaced
        verify(sink).invalidated(1);
        source.unwatch(1);
        source.watch(2, A, PAGE); // adopts: no REGISTER, no in-progress check
        assertEquals(1, source.reusedRegistrations());
        assertFalse(source.hasPendingInvalidations());

        device.end(madvise); // the pages changed: reported again
        assertTrue(source.hasPendingInvalidations(), "the counter moved at the end");
        source.drain();
        verify(sink).invalidated(2);
        assertEquals(1, device.reportedAtEnd());
    }

    @ParameterizedTest(name = "kept registrations {0}")
    @ValueSource(ints = {4, 0})
    void anEventReadByAnotherDrainBeforeRegisterReturnsReachesTheWatch(int kept)
            throws Exception {
        UmmunotifyInvalidationSource source = source(kept);
        FakeUmmunotifyDevice.Invalidation madvise = device.start(A, A + PAGE);
        device.onStep((step, start, end) -> {
            if (step == FakeUmmunotifyDevice.Step.REGISTERED) {
                source.drain(); // another thread's drain, while REGISTER has not returned
            }
        });
        source.watch(1, A, PAGE); // REGISTER's in-progress check queues the event
        verify(sink).invalidated(1);
        device.end(madvise);
    }

    @ParameterizedTest(name = "kept registrations {0}")
    @ValueSource(ints = {4, 0})
    void aWatchEndedBeforeItsRegisterTookEffectIsEndedOnceRegisterReturns(int kept)
            throws Exception {
        UmmunotifyInvalidationSource source = source(kept);
        device.onStep((step, start, end) -> {
            if (step == FakeUmmunotifyDevice.Step.REGISTERING) {
                source.unwatch(1); // invalidatedAll() or close() on another thread
            }
        });
        source.watch(1, A, PAGE);
        device.onStep((step, start, end) -> { });
        assertEquals(kept > 0 ? 1 : 0, device.registrations(), "kept, or unregistered");
        assertEquals(kept > 0 ? 1 : 0, source.keptRegistrations());
        device.invalidate(A, A + PAGE);
        source.drain();
        verify(sink, never()).invalidated(anyLong());
    }

    @Test
    void aBufferMappedAgainAtItsAddressMissesOnceAndReusesItsWatch() throws Exception {
        FakeRegistrar registrar = new FakeRegistrar();
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

    /**
     * Like the test above with an acquire in the middle of each remap (the notifier started,
     * the pages not yet replaced; it drains, misses and pins the old pages), then a correctly
     * ordered acquire after the remap: it must not hit the registration of the old pages.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DeviceMode.class)
    void aBufferRemappedWhileItIsAcquiredIsNeverHandedOutStale(DeviceMode mode)
            throws Exception {
        FakeUmmunotifyDevice fake = mode.device();
        SimulatedMemory memory = new SimulatedMemory(A, 4);
        FakeRegistrar registrar = new FakeRegistrar();
        registrar.pinner = memory::snapshot;
        UmmunotifyInvalidationSource source = mode.source(fake, false);
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> source).maxPinnedBytes(1L << 30).build()) {
            for (int round = 0; round < 5; round++) {
                long[] settled = memory.settled(A, 4 * PAGE);
                try (RegistrationHandle h = cache.acquire(A, 4 * PAGE, NONE)) {
                    Registration r = h.registration();
                    long[] pinned = (long[]) r.nativeRegistration();
                    assertTrue(SimulatedMemory.notOlder(A, pinned, A, 4 * PAGE, settled),
                            "round " + round + ": stale " + r);
                }
                SimulatedMemory.Change remap = memory.begin(fake, A, 4 * PAGE);
                cache.acquire(A, 4 * PAGE, NONE).close(); // drains, misses, pins the old pages
                remap.replacePages();
                remap.end();
            }
            assertEquals(mode.adopts() ? 1 : registrar.registers.get(),
                    fake.registerCalls.get(),
                    "kernel registrations: one adopted throughout, or one per miss");
        }
    }
}
