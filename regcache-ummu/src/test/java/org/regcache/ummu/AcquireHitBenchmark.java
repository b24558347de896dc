package org.regcache.ummu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.infra.ThreadParams;
import org.openjdk.jmh.runner.IterationType;
import org.regcache.api.Access;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationException;
import org.regcache.api.RegistrationHandle;

/**
 * A cache hit (counter check, index lookup, pin, unpin) against a ConcurrentHashMap.get on the
 * same keys, and against {@link ReferenceCountFloor}, the atomics alone that the cache's contract
 * requires of a hit. The counter page is native memory (no device on the host): the load is the same
 * acquire load as on the mapped page. Run by {@link AcquireHitBenchmarkMain}, beside its C
 * counterpart {@code src/test/c/ucx_rcache_hit.c} (UCX's rcache): the same {@value #KEYS}
 * regions of {@value #STRIDE} bytes, requests of {@value #LENGTH} bytes at offset {@value
 * #OFFSET}, the same key sequence per thread index.
 *
 * <p>Besides JMH's wall-clock score, each thread records the CPU time it used and the
 * operations it ran in every measured iteration (one field increment per operation, in every
 * benchmark alike) and appends them to the file named by the system property {@code
 * bench.cpuFile}: on a machine shared with other work, CPU time per operation is what the
 * load does not inflate. The thread with index 0 also records the whole JVM's CPU time over
 * the iteration, which includes the garbage collector's work for the handles a hit allocates.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AcquireHitBenchmark {
    static final int KEYS = 1024;
    static final long BASE = 0x7f5500000000L;
    static final long STRIDE = 64 * 1024;
    static final long OFFSET = 128;
    static final long LENGTH = 512;
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
            cache = RegistrationCache.builder().registrar(new FakeRegistrar())
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

    /**
     * Per-thread pseudo-random key choice (xorshift seeded by the thread's index, as in the C
     * counterpart), the same for every benchmark; counts operations and CPU time.
     */
    @State(Scope.Thread)
    public static class Cursor {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private static final com.sun.management.OperatingSystemMXBean PROCESS =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);

        int x;
        /** First key and key mask of this thread's share of the keys, for {@code disjoint}. */
        int ownBase;
        int ownMask;
        long ops;
        private long cpuAtStart;
        private long processCpuAtStart;
        private boolean first;

        @Setup(Level.Trial)
        public void seed(ThreadParams thread) {
            x = (thread.getThreadIndex() + 1) * 0x9e3779b9 | 1;
            first = thread.getThreadIndex() == 0;
            int share = KEYS / Integer.highestOneBit(thread.getThreadCount());
            ownMask = share - 1;
            ownBase = thread.getThreadIndex() * share & (KEYS - 1);
        }

        @Setup(Level.Iteration)
        public void startIteration() {
            ops = 0;
            processCpuAtStart = first ? PROCESS.getProcessCpuTime() : 0;
            cpuAtStart = THREADS.getCurrentThreadCpuTime();
        }

        @TearDown(Level.Iteration)
        public void endIteration(BenchmarkParams benchmark, IterationParams iteration,
                ThreadParams thread) {
            long cpu = THREADS.getCurrentThreadCpuTime() - cpuAtStart;
            long processCpu = first ? PROCESS.getProcessCpuTime() - processCpuAtStart : 0;
            String file = System.getProperty("bench.cpuFile");
            if (file == null || iteration.getType() != IterationType.MEASUREMENT) {
                return;
            }
            String name = benchmark.getBenchmark();
            String line = name.substring(name.lastIndexOf('.') + 1) + " "
                    + thread.getThreadCount() + " " + ops + " " + cpu + " " + processCpu + "\n";
            synchronized (Cursor.class) {
                try {
                    Files.write(Path.of(file), line.getBytes(StandardCharsets.US_ASCII),
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        int next() {
            ops++;
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            return x & (KEYS - 1);
        }

        /** A key of this thread's own share: threads never touch each other's entries. */
        int nextOwn() {
            return ownBase + (next() & ownMask);
        }
    }

    @Benchmark
    public int cacheAcquireReleaseHit(Shared s, Cursor c) throws RegistrationException {
        return hit(s, c.next());
    }

    /** The hit again, each thread on its own registrations (scaling without shared entries). */
    @Benchmark
    public int cacheHitDisjoint(Shared s, Cursor c) throws RegistrationException {
        return hit(s, c.nextOwn());
    }

    /** Only the atomics the contract needs (see {@link ReferenceCountFloor}). */
    @Benchmark
    public int referenceCountFloor(Shared s, Cursor c) {
        return floor(s, c.next());
    }

    /** The floor again, each thread on its own keys: what disjoint scaling can be at best. */
    @Benchmark
    public int referenceCountFloorDisjoint(Shared s, Cursor c) {
        return floor(s, c.nextOwn());
    }

    /** acquire + lkey() + close of key {@code i}'s registration. */
    private static int hit(Shared s, int i) throws RegistrationException {
        RegistrationHandle h = s.cache.acquire(s.addresses[i] + OFFSET, LENGTH, RIGHTS);
        int lkey = h.lkey();
        h.close();
        return lkey;
    }

    /** The floor's acquire + key() + close of key {@code i}. */
    private static int floor(Shared s, int i) {
        ReferenceCountFloor.Handle h = s.floors[i].acquire();
        int key = h.key();
        h.close();
        return key;
    }

    @Benchmark
    public Object concurrentHashMapGet(Shared s, Cursor c) {
        return s.map.get(s.keys[c.next()]);
    }
}
