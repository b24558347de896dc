package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.regcache.api.Access;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/**
 * The whole stack (cache, ummunotify source, a model of the driver) under 10^5 random
 * operations per seed: no acquire returns pages older than when it started, nothing stays
 * registered or watched at the end. The seed and step are printed on failure.
 */
class RandomizedUmmunotifyCacheTest {
    private static final int OPERATIONS = 100_000;
    private static final long PAGE = 4096;
    private static final int PAGES = 128;
    private static final List<Set<Access>> RIGHTS = List.of(EnumSet.noneOf(Access.class),
            EnumSet.of(Access.LOCAL_WRITE), EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_READ));

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12})
    void noStaleOrLeakedRegistration(long seed) {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice();
        SimulatedMemory memory = new SimulatedMemory(0x7f1200000000L, PAGES);
        CountingRegistrar registrar = new CountingRegistrar();
        registrar.tag = range -> memory.snapshot(range[0], range[1]);
        int step = -1;
        try {
            Random random = new Random(seed);
            AtomicReference<UmmunotifyInvalidationSource> source = new AtomicReference<>();
            RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                    .invalidationSource(() -> {
                        source.set(new UmmunotifyInvalidationSource(device, false));
                        return source.get();
                    })
                    .maxPinnedBytes(32 * PAGE).maxEntries(12).build();
            List<RegistrationHandle> held = new ArrayList<>();
            for (step = 0; step < OPERATIONS; step++) {
                int op = random.nextInt(100);
                long address = memory.base + random.nextInt(PAGES - 8) * PAGE;
                if (op < 50) {
                    long start = address + random.nextInt((int) PAGE);
                    long length = 1 + random.nextInt(4 * (int) PAGE);
                    long[] before = memory.snapshot(start, length);
                    RegistrationHandle h = cache.acquire(start, length,
                            RIGHTS.get(random.nextInt(RIGHTS.size())));
                    CountingRegistrar.TestRegistration r =
                            (CountingRegistrar.TestRegistration) h.registration();
                    assertTrue(r.address <= start && start + length <= r.address + r.length,
                            "covers");
                    assertTrue(SimulatedMemory.notOlder(r.address, (long[]) r.tag, start,
                            length, before), "stale registration " + r);
                    assertTrue(registrar.live.contains(r), "dead registration " + r);
                    held.add(h);
                    if (held.size() > 10) {
                        held.remove(random.nextInt(held.size())).close();
                    }
                } else if (op < 80) {
                    if (!held.isEmpty()) {
                        held.remove(random.nextInt(held.size())).close();
                    }
                } else if (op < 95) {
                    memory.change(device, address, (1 + random.nextInt(6)) * PAGE);
                } else if (op < 99) {
                    cache.invalidate(address, 1 + random.nextInt(8 * (int) PAGE));
                } else {
                    cache.flushIdle();
                }
                assertEquals(registrar.live.size(), cache.stats().pinnedEntries());
            }
            for (RegistrationHandle h : held) {
                h.close();
            }
            cache.acquire(memory.base, 1, RIGHTS.get(0)).close(); // drains what is pending
            cache.flushIdle();
            assertEquals(source.get().keptRegistrations(), device.registrations(),
                    "leaked watches: kernel registrations beyond the parked ones");
            assertTrue(source.get().reusedRegistrations() > 0, "no registration was reused");
            cache.close();
            assertEquals(0, registrar.live.size(), "leaked registrations");
            assertEquals("[]", registrar.violations.toString());
        } catch (AssertionError | Exception e) {
            fail("seed " + seed + ", step " + step + ": " + e, e);
        }
    }
}
