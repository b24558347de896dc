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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.regcache.api.Access;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/**
 * Threads acquiring and releasing while another one changes memory: an acquire never returns
 * pages older than those mapped when it started, and nothing leaks.
 */
class ConcurrentUmmunotifyCacheTest {
    private static final long PAGE = 4096;

    @Test
    void acquiresNeverSeeChangesThatCompletedBeforeThemStarted() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice();
        SimulatedMemory memory = new SimulatedMemory(0x7f3400000000L, 64);
        CountingRegistrar registrar = new CountingRegistrar();
        registrar.tag = range -> memory.snapshot(range[0], range[1]);
        List<String> stale = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        int threads = 3;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        AtomicReference<UmmunotifyInvalidationSource> source = new AtomicReference<>();
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> {
                    source.set(new UmmunotifyInvalidationSource(device, false));
                    return source.get();
                })
                .maxPinnedBytes(24 * PAGE).maxEntries(16).build()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                workers.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    for (int i = 0; i < 30_000; i++) {
                        long address = memory.base + random.nextInt(60) * PAGE
                                + random.nextInt(64);
                        long length = 1 + random.nextInt(2 * (int) PAGE);
                        long[] before = memory.snapshot(address, length);
                        try (RegistrationHandle h = cache.acquire(address, length,
                                EnumSet.noneOf(Access.class))) {
                            CountingRegistrar.TestRegistration r =
                                    (CountingRegistrar.TestRegistration) h.registration();
                            if (!SimulatedMemory.notOlder(r.address, (long[]) r.tag, address,
                                    length, before)) {
                                stale.add(r + " for " + Long.toHexString(address));
                            }
                        }
                    }
                    return null;
                }));
            }
            Future<?> mutator = pool.submit(() -> {
                Random random = new Random(42);
                while (!stop.get()) {
                    memory.change(device, memory.base + random.nextInt(60) * PAGE,
                            (1 + random.nextInt(3)) * PAGE);
                    Thread.yield();
                }
                return null;
            });
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
            stop.set(true);
            mutator.get(10, TimeUnit.SECONDS);
            cache.acquire(memory.base, 1, EnumSet.noneOf(Access.class)).close(); // drains
            cache.flushIdle();
            assertEquals(source.get().keptRegistrations(), device.registrations(),
                    "leaked watches: kernel registrations beyond the parked ones");
            assertTrue(source.get().reusedRegistrations() > 0, "no registration was reused");
        } finally {
            pool.shutdownNow();
        }
        assertEquals("[]", stale.toString(), "stale registrations");
        assertEquals(0, registrar.live.size(), "leaked registrations");
        assertEquals("[]", registrar.violations.toString());
    }
}
