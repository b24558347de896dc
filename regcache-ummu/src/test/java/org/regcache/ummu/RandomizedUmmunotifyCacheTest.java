package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
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
 * The whole stack (cache, ummunotify source, a model of the driver) under {@value #OPERATIONS}
 * random operations per seed and {@link DeviceMode}, with invalidations in progress: changes
 * of memory are taken in the kernel's steps (start, pages replaced, end), several at once, and
 * steps are also taken inside the driver's REGISTER (after it took effect, before it returns),
 * read() (events dequeued, not yet returned) and, in the ring modes, between the consumer's
 * steps (head loaded, entries copied, tail published, flags loaded), where another thread could
 * act; inside REGISTER the source is also drained, as another acquirer or the background
 * drainer would. In the ring modes, drains must have taken entries from the ring (and, in the
 * tiny ring's, read() after overflows too); in the others, never.
 * One thread: the seed draws the interleaving (the cache itself draws from ThreadLocalRandom
 * which hits to report to Caffeine, so evictions may differ between runs). Oracle: an acquire
 * returns pages at least as new as those every change that had <i>ended</i> before it began
 * put in place; nothing stays registered or watched at the end. The mode, seed and step are
 * printed on failure.
 */
class RandomizedUmmunotifyCacheTest {
    private static final int OPERATIONS = 40_000;
    private static final long PAGE = 4096;
    private static final int PAGES = 128;
    private static final List<Set<Access>> RIGHTS = List.of(EnumSet.noneOf(Access.class),
            EnumSet.of(Access.LOCAL_WRITE), EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_READ));

    static Stream<Arguments> modesAndSeeds() {
        return Stream.of(DeviceMode.values())
                .flatMap(mode -> Stream.of(11L, 12L).map(seed -> Arguments.of(mode, seed)));
    }

    @ParameterizedTest(name = "{0}, seed {1}")
    @MethodSource("modesAndSeeds")
    void noStaleOrLeakedRegistration(DeviceMode mode, long seed) {
        FakeUmmunotifyDevice device = mode.device();
        SimulatedMemory memory = new SimulatedMemory(0x7f1200000000L, PAGES);
        FakeRegistrar registrar = new FakeRegistrar();
        registrar.pinner = memory::snapshot;
        Random random = new Random(seed);
        InterleavedChanges changes = new InterleavedChanges(memory, device, random, PAGES, 3);
        UmmunotifyInvalidationSource source = mode.source(device, false);
        boolean[] meddling = {true};
        device.onStep((step, start, end) -> {
            if (!meddling[0]) {
                return;
            }
            if (step == FakeUmmunotifyDevice.Step.REGISTERED && random.nextInt(4) == 0) {
                if (random.nextBoolean()) {
                    changes.begin(start, end); // the range being registered
                } else {
                    changes.step();
                }
                source.drain(); // another acquirer, or the background drainer
            } else if (step != FakeUmmunotifyDevice.Step.REGISTERING
                    && step != FakeUmmunotifyDevice.Step.REGISTERED
                    && step != FakeUmmunotifyDevice.Step.STARTED
                    && step != FakeUmmunotifyDevice.Step.ENDING && random.nextInt(4) == 0) {
                changes.step(); // inside read(), or between the ring consumer's steps
            }
        });
        int step = -1;
        try {
            RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                    .invalidationSource(() -> source)
                    .maxPinnedBytes(32 * PAGE).maxEntries(12).build();
            List<RegistrationHandle> held = new ArrayList<>();
            for (step = 0; step < OPERATIONS; step++) {
                int op = random.nextInt(100);
                long address = memory.base + random.nextInt(PAGES - 8) * PAGE;
                if (op < 45) {
                    long start = address + random.nextInt((int) PAGE);
                    long length = 1 + random.nextInt(4 * (int) PAGE);
                    long[] settled = memory.settled(start, length);
                    RegistrationHandle h = cache.acquire(start, length,
                            RIGHTS.get(random.nextInt(RIGHTS.size())));
                    Registration r = h.registration();
                    assertTrue(r.covers(start, length), "covers");
                    assertTrue(SimulatedMemory.notOlder(r.address(),
                            (long[]) r.nativeRegistration(), start, length, settled),
                            "stale registration " + r);
                    assertTrue(registrar.live.contains(r), "dead registration " + r);
                    held.add(h);
                    if (held.size() > 10) {
                        held.remove(random.nextInt(held.size())).close();
                    }
                } else if (op < 70) {
                    if (!held.isEmpty()) {
                        held.remove(random.nextInt(held.size())).close();
                    }
                } else if (op < 95) {
                    changes.step();
                } else if (op < 98) {
                    cache.invalidate(address, 1 + random.nextInt(8 * (int) PAGE));
                } else {
                    cache.flushIdle();
                }
                assertEquals(registrar.live.size(), cache.stats().pinnedEntries());
            }
            meddling[0] = false;
            changes.finish();
            for (RegistrationHandle h : held) {
                h.close();
            }
            cache.acquire(memory.base, 1, RIGHTS.get(0)).close(); // drains what is pending
            cache.flushIdle();
            assertEquals(source.keptRegistrations(), device.registrations(),
                    "leaked watches: kernel registrations beyond the kept ones");
            if (mode.adopts()) {
                assertTrue(source.reusedRegistrations() > 0, "no registration was reused");
            } else {
                assertEquals(0, source.reusedRegistrations() + source.keptRegistrations(),
                        "registrations reused or kept");
            }
            DrainPaths.assertTaken(mode, cache.stats());
            cache.close();
            assertEquals(0, registrar.live.size(), "leaked registrations");
            assertEquals("[]", registrar.violations.toString());
        } catch (AssertionError | Exception e) {
            fail(mode + ", seed " + seed + ", step " + step + ": " + e, e);
        }
    }
}
