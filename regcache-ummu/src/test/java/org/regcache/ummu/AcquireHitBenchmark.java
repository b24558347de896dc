package org.regcache.ummu;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.regcache.api.Access;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationException;
import org.regcache.api.RegistrationHandle;

/**
 * A cache hit (counter check, index lookup, pin, unpin) against a ConcurrentHashMap.get on the
 * same keys, and against {@link ReferenceCountFloor}, the atomics alone that the cache's contract
 * requires of a hit. The counter page is native memory (no device on the host): the load is the same
 * acquire load as on the mapped page. Run by {@link AcquireHitBenchmarkMain}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AcquireHitBenchmark {
    static final int KEYS = 1024;
    static final long BASE = 0x7f5500000000L;
    static final long STRIDE = 64 * 1024;
    static final Set<Access> RIGHTS = EnumSet.of(Access.LOCAL_WRITE);

    /** The cache, filled with one registration per key, and the map with the same keys. */
    @State(Scope.Benchmark)
    public static class Shared {
        RegistrationCache cache;
        final ConcurrentHashMap<Long, Object> map = new ConcurrentHashMap<>();
        final long[] addresses = new long[KEYS];
        final Long[] keys = new Long[KEYS];
        final ReferenceCountFloor[] floors = new ReferenceCountFloor[KEYS];

        @Setup(Level.Trial)
        public void fill() throws RegistrationException {
            cache = RegistrationCache.builder().registrar(new CountingRegistrar())
                    .invalidationSource(() -> new UmmunotifyInvalidationSource(
                            new FakeUmmunotifyDevice(), false))
                    .maxPinnedBytes(KEYS * STRIDE).maxEntries(KEYS).build();
            for (int i = 0; i < KEYS; i++) {
                addresses[i] = BASE + i * STRIDE;
                keys[i] = addresses[i];
                cache.acquire(addresses[i], STRIDE, RIGHTS).close();
                map.put(keys[i], new Object());
                floors[i] = new ReferenceCountFloor(i);
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            cache.close();
        }
    }

    /** Per-thread pseudo-random key choice (xorshift), the same for both benchmarks. */
    @State(Scope.Thread)
    public static class Cursor {
        int x = (int) Thread.currentThread().getId() * 0x9e3779b9 | 1;

        int next() {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            return x & (KEYS - 1);
        }
    }

    @Benchmark
    public int cacheAcquireReleaseHit(Shared s, Cursor c) throws RegistrationException {
        int i = c.next();
        RegistrationHandle h = s.cache.acquire(s.addresses[i] + 128, 512, RIGHTS);
        int lkey = h.lkey();
        h.close();
        return lkey;
    }

    /** Only the atomics the contract needs (see {@link ReferenceCountFloor}). */
    @Benchmark
    public int referenceCountFloor(Shared s, Cursor c) {
        ReferenceCountFloor.Handle h = s.floors[c.next()].acquire();
        int key = h.key();
        h.close();
        return key;
    }

    @Benchmark
    public Object concurrentHashMapGet(Shared s, Cursor c) {
        return s.map.get(s.keys[c.next()]);
    }
}
