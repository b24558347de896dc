package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.regcache.api.Access;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/**
 * The two interleavings of issue 18's review, forced step by step on the fake driver through
 * the real cache: an invalidation in progress (started, pages not yet replaced) while an
 * acquire drains its event and watches the range again. After the invalidation ended, a
 * correctly ordered acquire must not get a registration of the pages it replaced. Each on a
 * device without an event ring (events read()) and with one ({@value #RING} entries, as the
 * native device makes it, or {@value DeviceMode#TINY_RING}): there the drain consumes the
 * invalidation's entry from the ring, and "queued" for REPORT_AT_END means an unconsumed entry.
 */
class InvalidationInProgressTest {
    static final long PAGE = 4096;
    static final long BASE = 0x7f7800000000L;
    /** The range R of the review: 4 pages. */
    static final long R = BASE;
    static final long LENGTH = 4 * PAGE;
    /** Another range, for thread B's acquire. */
    static final long S = BASE + 8 * PAGE;
    static final Set<Access> NONE = EnumSet.noneOf(Access.class);
    static final int TIMEOUT_SECONDS = 30;
    static final int RING = NativeUmmunotifyDevice.RING_ENTRIES;

    final SimulatedMemory memory = new SimulatedMemory(BASE, 16);
    /** Records, per registration, the page generations it pinned. */
    final FakeRegistrar registrar = new FakeRegistrar();
    UmmunotifyInvalidationSource source;

    InvalidationInProgressTest() {
        registrar.pinner = memory::snapshot;
    }

    RegistrationCache cache(FakeUmmunotifyDevice device, int keptRegistrations) {
        return RingDrainTest.cacheOver(registrar, device, keptRegistrations, s -> source = s);
    }

    /** The pages {@code h}'s registration pinned over R. */
    static long[] pinned(RegistrationHandle h) {
        Registration r = h.registration();
        assertEquals(R, r.address(), "registration of R");
        return (long[]) r.nativeRegistration();
    }

    /** An acquire of R ordered after every change that ended: its pages are the current ones. */
    void assertAcquireGetsTheCurrentPages(RegistrationCache cache) throws Exception {
        long[] settled = memory.settled(R, LENGTH);
        assertArrayEquals(memory.snapshot(R, LENGTH), settled, "no change in progress");
        try (RegistrationHandle h = cache.acquire(R, LENGTH, NONE)) {
            assertArrayEquals(settled, pinned(h), "stale registration: the pages of 0x"
                    + Long.toHexString(R) + " pinned before a change that ended before this"
                    + " acquire");
        }
    }

    /**
     * Review scenario 1, adoption while an invalidation is in progress. c1 on R. X: madvise(R,
     * MADV_DONTNEED) enters the notifier (event for c1's registration queued, counter moved).
     * Y: acquire(R) drains, c1 is invalidated, the miss watches R again and pins the old pages
     * (with kept registrations: adopting c1's kernel registration, no REGISTER). X: the pages
     * are zapped, the notifier ends, madvise returns. One thread takes X's and Y's steps in
     * that order.
     */
    @ParameterizedTest(name = "device agreed to REPORT_AT_END: {0}, ring entries {1}")
    @CsvSource({"true, 0", "false, 0", "true, " + RING, "true, " + DeviceMode.TINY_RING})
    void anAcquireWhileAnInvalidationIsInProgressLeavesNoStaleEntry(boolean reportsAtEnd,
            int ringEntries) throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, reportsAtEnd, ringEntries);
        try (RegistrationCache cache = cache(device,
                UmmunotifyInvalidationSource.KEPT_REGISTRATIONS)) {
            long[] old = memory.snapshot(R, LENGTH);
            cache.acquire(R, LENGTH, NONE).close(); // c1
            SimulatedMemory.Change x = memory.begin(device, R, LENGTH); // X: notifier start
            try (RegistrationHandle y = cache.acquire(R, LENGTH, NONE)) { // Y: drain, miss
                assertArrayEquals(old, pinned(y), "Y pinned the old pages: the window is open");
            }
            long adoptedByY = source.reusedRegistrations();
            x.replacePages(); // X: zap
            x.end(); // X: notifier end, madvise returns

            assertAcquireGetsTheCurrentPages(cache);
            assertEquals(reportsAtEnd ? 1 : 0, adoptedByY,
                    "Y's miss adopted c1's registration only if the device reports at end");
            assertEquals(ringEntries != 0, cache.stats().drainsFromRing() > 0,
                    "drained from the ring iff there is one: " + cache.stats());
        }
    }

    /**
     * Review scenario 2, the recipient of a new registration. Thread A's acquire(R) misses; its
     * watch is paused inside REGISTER, after the kernel registration took effect and before
     * the ioctl returns. An invalidation X of R is in progress (started before REGISTER, so
     * REGISTER's in-progress check queues the event, or just after it), and thread B's acquire
     * drains that event meanwhile. A then pins the old pages; X replaces them and ends. The
     * device does not report at end: with it, X's end would report R again and hide the
     * dropped event (WatchTable says why); without it, the event read by B is all there is.
     */
    @ParameterizedTest(name = "kept registrations {0}, X starts before REGISTER: {1}, ring {2}")
    @CsvSource({"256, true, 0", "256, false, 0", "0, true, 0", "0, false, 0",
        "256, true, " + RING, "256, false, " + RING, "0, true, " + RING, "0, false, " + RING})
    void anEventReadByAnotherThreadWhileRegisterIsInFlightReachesTheWatch(
            int keptRegistrations, boolean startsBeforeRegister, int ringEntries)
            throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, false, ringEntries);
        CountDownLatch registered = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        AtomicReference<Thread> threadA = new AtomicReference<>();
        device.onStep((step, start, end) -> {
            if (step == FakeUmmunotifyDevice.Step.REGISTERED
                    && Thread.currentThread() == threadA.get()) {
                registered.countDown();
                await(resume, "the test never let thread A's REGISTER return");
            }
        });
        ExecutorService a = Executors.newSingleThreadExecutor();
        try (RegistrationCache cache = cache(device, keptRegistrations)) {
            long[] old = memory.snapshot(R, LENGTH);
            SimulatedMemory.Change x =
                    startsBeforeRegister ? memory.begin(device, R, LENGTH) : null;
            Future<long[]> acquiredByA = a.submit(() -> {
                threadA.set(Thread.currentThread());
                try (RegistrationHandle h = cache.acquire(R, LENGTH, NONE)) {
                    return pinned(h);
                }
            });
            await(registered, "thread A's acquire never reached REGISTER");
            if (!startsBeforeRegister) {
                x = memory.begin(device, R, LENGTH); // X: notifier start
            }
            assertTrue(source.hasPendingInvalidations(), "X's event is queued for A's range");
            cache.acquire(S, PAGE, NONE).close(); // B: drains X's event
            resume.countDown();
            assertArrayEquals(old, acquiredByA.get(TIMEOUT_SECONDS, TimeUnit.SECONDS),
                    "A pinned the old pages: the window is open");
            x.replacePages(); // X: zap
            x.end(); // X: notifier end, the call returns

            assertAcquireGetsTheCurrentPages(cache);
        } finally {
            a.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch, String what) {
        try {
            assertTrue(latch.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + what, e);
        }
    }
}
