package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 10^5 random operations per seed against a model of memory (page generations) and of the
 * handles held: every acquire must return a live registration covering the request with the
 * rights asked and pages no older than when it started; idle cached entries respect the limits;
 * at the end nothing is left registered.
 */
class RandomizedModelTest extends CacheFixture {
    private static final int OPERATIONS = 100_000;
    private static final long BASE = 0x7f0000000000L;
    private static final int PAGES = 96;
    private static final long MAX_BYTES = 24 * PAGE;
    private static final int MAX_ENTRIES = 10;
    private static final List<Set<Access>> RIGHTS = List.of(NONE, LOCAL_WRITE, RW,
            EnumSet.of(Access.REMOTE_READ));

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void noStaleOrLeakedRegistration(long seed) throws Exception {
        int step = -1;
        try {
            Random random = new Random(seed);
            List<RegistrationHandle> held = new ArrayList<>();
            RegistrationCache cache = cache(MAX_BYTES, MAX_ENTRIES);
            for (step = 0; step < OPERATIONS; step++) {
                int op = random.nextInt(100);
                if (op < 45) {
                    acquire(cache, random, held);
                } else if (op < 75) {
                    if (!held.isEmpty()) {
                        release(held.remove(random.nextInt(held.size())));
                    }
                } else if (op < 90) {
                    unmap(BASE + random.nextInt(PAGES) * PAGE, (1 + random.nextInt(8)) * PAGE);
                } else if (op < 95) {
                    cache.invalidate(BASE + random.nextInt(PAGES) * PAGE,
                            1 + random.nextInt(8 * (int) PAGE));
                } else if (op < 96) {
                    cache.flushIdle();
                } else if (!held.isEmpty()) {
                    RegistrationHandle h = held.remove(random.nextInt(held.size()));
                    release(h);
                    assertThrows(IllegalStateException.class, h::close);
                }
                checkInvariants(cache, held);
            }
            for (RegistrationHandle h : held) {
                release(h);
            }
            cache.close();
            assertEquals(0, registrar.live.size(), "leaked registrations");
            assertEquals(registrar.registers.get(), registrar.deregisters.get());
            assertEquals(0, cache.stats().pinnedBytes());
            assertNoViolations();
        } catch (AssertionError | Exception e) {
            fail("seed " + seed + ", step " + step + ": " + e, e);
        }
    }

    private void acquire(RegistrationCache cache, Random random, List<RegistrationHandle> held)
            throws RegistrationException {
        long address = BASE + random.nextInt(PAGES) * PAGE + random.nextInt((int) PAGE);
        long length = 1 + random.nextInt(random.nextInt(10) == 0 ? 30 * (int) PAGE
                : 3 * (int) PAGE);
        Set<Access> rights = RIGHTS.get(random.nextInt(RIGHTS.size()));
        RegistrationHandle h = cache.acquire(address, length, rights);
        FakeRegistrar.FakeRegistration r = fake(h);
        assertTrue(r.covers(address, length), "covers the request");
        assertTrue(r.access().containsAll(rights), "rights");
        assertTrue(r.isCurrent(registrar, address, length), "stale registration " + h);
        assertTrue(registrar.live.contains(r), "dead registration " + h);
        registrar.use(r);
        if (held.size() < 12) {
            held.add(h);
        } else {
            release(h);
        }
    }

    private void release(RegistrationHandle h) {
        registrar.unuse(h.registration());
        h.close();
    }

    private void checkInvariants(RegistrationCache cache, List<RegistrationHandle> held) {
        CacheStats s = cache.stats();
        assertEquals(registrar.live.size(), s.pinnedEntries(), "pinned entries");
        Map<Registration, Boolean> busy = new IdentityHashMap<>();
        for (RegistrationHandle h : held) {
            busy.put(h.registration(), true);
        }
        long idle = registrar.live.stream().filter(r -> !busy.containsKey(r)).count();
        long cached = s.pinnedEntries() - s.detachedInUseEntries();
        long cachedBytes = s.pinnedBytes() - s.detachedInUseBytes();
        assertTrue(idle == 0 || cached <= MAX_ENTRIES && cachedBytes <= MAX_BYTES,
                "limits with idle entries: " + s);
        assertEquals("[]", registrar.violations.toString());
    }
}
