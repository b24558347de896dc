package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.regcache.api.Access;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/**
 * Threads acquiring and releasing while another one changes memory in the kernel's steps
 * (invalidation start, pages replaced, end; up to three changes in progress), every thread
 * yielding between the driver's steps (inside REGISTER, after read() dequeued, between start
 * and end): an acquire never returns pages older than those put in place by the changes that
 * had ended when it started, and nothing leaks. Per {@link DeviceMode} (in the ring modes also
 * between the ring consumer's steps: head loaded, entries copied, tail published, flags
 * loaded), and once with the background drainer, also on a ring. Bounded by {@value #ACQUIRES}
 * acquires per thread.
 */
class ConcurrentUmmunotifyCacheTest {
    private static final long PAGE = 4096;
    private static final int PAGES = 64;
    private static final int THREADS = 3;
    private static final int ACQUIRES = 10_000;

    static Stream<Arguments> modes() {
        return Stream.concat(Stream.of(DeviceMode.values()).map(m -> Arguments.of(m, false)),
                Stream.of(Arguments.of(DeviceMode.KEPT_WITH_REPORT_AT_END, true),
                        Arguments.of(DeviceMode.TINY_RING_KEPT_WITH_REPORT_AT_END, true)));
    }

    @ParameterizedTest(name = "{0}, background drainer: {1}")
    @MethodSource("modes")
    void acquiresNeverSeeChangesThatEndedBeforeThemStarted(DeviceMode mode,
            boolean backgroundDrainer) throws Exception {
        FakeUmmunotifyDevice device = mode.device();
        device.onStep((step, start, end) -> Thread.yield());
        SimulatedMemory memory = new SimulatedMemory(0x7f3400000000L, PAGES);
        FakeRegistrar registrar = new FakeRegistrar();
        registrar.pinner = memory::snapshot;
        List<String> stale = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        UmmunotifyInvalidationSource source = mode.source(device, backgroundDrainer);
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> source)
                .maxPinnedBytes(24 * PAGE).maxEntries(16).build()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long seed = t;
                workers.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < ACQUIRES; i++) {
                        long address = memory.base + random.nextInt(PAGES - 4) * PAGE
                                + random.nextInt(64);
                        long length = 1 + random.nextInt(2 * (int) PAGE);
                        long[] settled = memory.settled(address, length);
                        try (RegistrationHandle h = cache.acquire(address, length,
                                EnumSet.noneOf(Access.class))) {
                            Registration r = h.registration();
                            long[] pinned = (long[]) r.nativeRegistration();
                            if (!SimulatedMemory.notOlder(r.address(), pinned, address, length,
                                    settled)) {
                                stale.add(r + " for " + Long.toHexString(address));
                            }
                        }
                    }
                    return null;
                }));
            }
            Future<?> mutator = pool.submit(() -> {
                InterleavedChanges changes =
                        new InterleavedChanges(memory, device, new Random(42), PAGES, 3);
                while (!stop.get()) {
                    changes.step();
                    Thread.yield();
                }
                changes.finish();
                return null;
            });
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
            stop.set(true);
            mutator.get(10, TimeUnit.SECONDS);
            assertEquals("[]", stale.toString(), "stale registrations");
            cache.acquire(memory.base, 1, EnumSet.noneOf(Access.class)).close(); // drains
            cache.flushIdle();
            if (!backgroundDrainer) { // else it may be draining, and unwatching, right now
                assertEquals(source.keptRegistrations(), device.registrations(),
                        "leaked watches: kernel registrations beyond the kept ones");
            }
            if (mode.adopts()) {
                assertTrue(source.reusedRegistrations() > 0, "no registration was reused");
            } else {
                assertEquals(0, source.reusedRegistrations(), "registrations reused");
            }
            DrainPaths.assertTaken(mode, cache.stats());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, registrar.live.size(), "leaked registrations");
        assertEquals("[]", registrar.violations.toString());
    }
}
