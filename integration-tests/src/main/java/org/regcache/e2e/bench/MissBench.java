package org.regcache.e2e.bench;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;
import org.regcache.e2e.memory.BufferPool;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.memory.ClientBuffer;
import org.regcache.e2e.workload.Worker;

/**
 * The miss half of the benchmark: for one buffer size, alternately (so that both see the same
 * machine) a DiSNI regMr + deregMr and a cache acquire + release, each right after a munmap +
 * mmap of the buffer at the same address and an untimed write to each of its pages (both then
 * register fresh, present pages). After the munmap the cache's acquire is a miss: it drains
 * the INVAL event, unwatches and deregisters the old registration, and registers and watches
 * the range again. The medians are reported.
 *
 * <p>The munmap + mmap is timed on both sides: without a cache, the munmap frees the buffer's
 * pages; with one, they are still pinned by the cached registration and are freed by its
 * deregistration inside the next acquire. Timing only the acquire would charge the cache with
 * the freeing that the uncached side did, untimed, in munmap.
 */
final class MissBench {
    private static final int WARM_UP_SIZE = 4096;

    private MissBench() {
    }

    /**
     * Runs {@code misses} untimed pairs on a small buffer first: a benchmark that timed a
     * dozen misses would time the interpreter (the miss path's Java code is compiled only
     * after some thousand runs, and regMr's was warmed up by the hit measurements).
     */
    static void warmUp(IbvPd pd, RegistrationCache cache, int misses) throws Exception {
        measure(pd, cache, WARM_UP_SIZE, misses);
    }

    /**
     * Measures {@code samples} pairs for a buffer of {@code size} bytes.
     *
     * @throws IllegalStateException if an acquire after an invalidation was not a miss
     */
    static MissRow measure(IbvPd pd, RegistrationCache cache, int size, int samples)
            throws Exception {
        double[] register = new double[samples];
        double[] miss = new double[samples];
        double[] registerOnly = new double[samples];
        double[] missOnly = new double[samples];
        SplittableRandom random = new SplittableRandom(size);
        try (BufferPool pool = BufferPool.allocate(1, size, EnumSet.of(ChurnKind.MUNMAP_MMAP))) {
            ClientBuffer buffer = pool.buffer(0);
            remap(pool, random);
            cache.acquire(buffer.address(), size, Worker.ACCESS).close();
            for (int i = -1; i < samples; i++) { // sample -1 warms up, unreported
                long registerRemap = remap(pool, random);
                long address = buffer.address();
                long t0 = System.nanoTime();
                IbvMr mr = pd.regMr(address, size, IbvMr.IBV_ACCESS_LOCAL_WRITE).execute()
                        .free().getMr();
                mr.deregMr().execute().free();
                long registerOnlyNanos = System.nanoTime() - t0;

                CacheStats before = cache.stats();
                long remap = remap(pool, random);
                address = buffer.address();
                long t2 = System.nanoTime();
                cache.acquire(address, size, Worker.ACCESS).close();
                long missOnlyNanos = System.nanoTime() - t2;
                if (cache.stats().misses() != before.misses() + 1) {
                    throw new IllegalStateException("an acquire after munmap + mmap of "
                            + size + " bytes was not a miss: " + cache.stats());
                }
                if (i >= 0) {
                    register[i] = registerRemap + registerOnlyNanos;
                    miss[i] = remap + missOnlyNanos;
                    registerOnly[i] = registerOnlyNanos;
                    missOnly[i] = missOnlyNanos;
                }
            }
        }
        return new MissRow(size, Timing.median(register), Timing.median(miss),
                Timing.median(registerOnly), Timing.median(missOnly));
    }

    /**
     * munmap + mmap at the same address, then one write per page (the pages exist).
     *
     * @return the nanoseconds of the munmap + mmap (the writes are not timed)
     */
    private static long remap(BufferPool pool, SplittableRandom random) {
        long t0 = System.nanoTime();
        pool.churn(ChurnKind.MUNMAP_MMAP, 0, random);
        long nanos = System.nanoTime() - t0;
        ByteBuffer view = pool.buffer(0).view();
        for (int offset = 0; offset < view.capacity(); offset += BufferPool.PAGE_SIZE) {
            view.put(offset, (byte) 1);
        }
        return nanos;
    }
}
