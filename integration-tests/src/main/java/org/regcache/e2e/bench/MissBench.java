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
 * machine) a timed DiSNI regMr + deregMr and a timed cache acquire + release, each right after
 * an untimed munmap + mmap of the buffer at the same address and a write to each of its pages
 * (both then register fresh, present pages). After the munmap the cache's acquire is a miss:
 * it drains the INVAL event, unwatches and deregisters the old registration, and registers and
 * watches the range again. The medians are reported.
 */
final class MissBench {
    private MissBench() {
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
        SplittableRandom random = new SplittableRandom(size);
        try (BufferPool pool = BufferPool.allocate(1, size, EnumSet.of(ChurnKind.MUNMAP_MMAP))) {
            ClientBuffer buffer = pool.buffer(0);
            remapAndTouch(pool, random);
            cache.acquire(buffer.address(), size, Worker.ACCESS).close();
            for (int i = -1; i < samples; i++) { // sample -1 warms up, unreported
                remapAndTouch(pool, random);
                long address = buffer.address();
                long t0 = System.nanoTime();
                IbvMr mr = pd.regMr(address, size, IbvMr.IBV_ACCESS_LOCAL_WRITE).execute()
                        .free().getMr();
                mr.deregMr().execute().free();
                long t1 = System.nanoTime();

                remapAndTouch(pool, random);
                address = buffer.address();
                CacheStats before = cache.stats();
                long t2 = System.nanoTime();
                cache.acquire(address, size, Worker.ACCESS).close();
                long t3 = System.nanoTime();
                if (cache.stats().misses() != before.misses() + 1) {
                    throw new IllegalStateException("an acquire after munmap + mmap of "
                            + size + " bytes was not a miss: " + cache.stats());
                }
                if (i >= 0) {
                    register[i] = t1 - t0;
                    miss[i] = t3 - t2;
                }
            }
        }
        return new MissRow(size, Timing.median(register), Timing.median(miss));
    }

    /** munmap + mmap at the same address, then one write per page (the pages exist). */
    private static void remapAndTouch(BufferPool pool, SplittableRandom random) {
        pool.churn(ChurnKind.MUNMAP_MMAP, 0, random);
        ByteBuffer view = pool.buffer(0).view();
        for (int offset = 0; offset < view.capacity(); offset += BufferPool.PAGE_SIZE) {
            view.put(offset, (byte) 1);
        }
    }
}
