package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Many threads: no leak, no registration deregistered in use, nothing stale. */
class ConcurrencyTest extends CacheFixture {

    @Test
    void twoThreadsMissingOnTheSameRangeLeaveOneRegistration() throws Exception {
        CyclicBarrier bothRegistering = new CyclicBarrier(2);
        registrar.duringRegister = () -> {
            try {
                bothRegistering.await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (RegistrationCache cache = cache()) {
            Future<RegistrationHandle> a = pool.submit(() -> cache.acquire(0x100000, PAGE, NONE));
            Future<RegistrationHandle> b = pool.submit(() -> cache.acquire(0x100000, PAGE, NONE));
            RegistrationHandle ha = a.get(10, TimeUnit.SECONDS);
            RegistrationHandle hb = b.get(10, TimeUnit.SECONDS);
            assertSame(ha.registration(), hb.registration());
            assertEquals(2, registrar.registers.get());
            assertEquals(1, registrar.deregisters.get(), "the loser's registration is dropped");
            assertEquals(1, source.watches.size());
            ha.close();
            hb.close();
            registrar.duringRegister = () -> { };
            try (RegistrationHandle again = cache.acquire(0x100000, PAGE, NONE)) {
                assertEquals(1, registrar.live.size());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, registrar.live.size());
        assertNoViolations();
    }

    @Test
    void acquireReleaseAndInvalidateFromManyThreads() throws Exception {
        int threads = 4;
        int iterations = 20_000;
        long base = 0x10000000L;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        AtomicBoolean stop = new AtomicBoolean();
        List<String> stale = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (RegistrationCache cache = cache(32 * PAGE, 16)) {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                workers.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    List<RegistrationHandle> held = new ArrayList<>();
                    for (int i = 0; i < iterations; i++) {
                        long address = base + random.nextInt(64) * PAGE + random.nextInt(100);
                        long length = 1 + random.nextInt(3 * (int) PAGE);
                        Set<Access> access = random.nextBoolean() ? NONE : LOCAL_WRITE;
                        long[] before = registrar.generations(address, length);
                        RegistrationHandle h = cache.acquire(address, length, access);
                        registrar.use(h.registration());
                        if (!fake(h).isAtLeast(address, length, before)) {
                            stale.add(h.toString());
                        }
                        held.add(h);
                        if (held.size() > 3 || random.nextBoolean()) {
                            RegistrationHandle r = held.remove(random.nextInt(held.size()));
                            registrar.unuse(r.registration());
                            r.close();
                        }
                    }
                    for (RegistrationHandle r : held) {
                        registrar.unuse(r.registration());
                        r.close();
                    }
                    return null;
                }));
            }
            Future<?> mutator = pool.submit(() -> {
                Random random = new Random(99);
                while (!stop.get()) {
                    long address = base + random.nextInt(64) * PAGE;
                    if (random.nextInt(4) == 0) {
                        cache.invalidate(address, PAGE);
                    } else {
                        unmap(address, (1 + random.nextInt(4)) * PAGE);
                    }
                    Thread.yield();
                }
                return null;
            });
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
            stop.set(true);
            mutator.get(10, TimeUnit.SECONDS);
            CacheStats s = cache.stats();
            assertEquals(threads * (long) iterations, s.hits() + s.misses());
            assertEquals(0, s.detachedInUseEntries());
            assertTrue(s.invalidationsReceived() > 0);
        } finally {
            pool.shutdownNow();
        }
        assertEquals("[]", stale.toString(), "stale registrations returned");
        assertEquals(0, registrar.live.size(), "leaked registrations");
        assertEquals(registrar.registers.get(), registrar.deregisters.get());
        assertNoViolations();
    }
}
