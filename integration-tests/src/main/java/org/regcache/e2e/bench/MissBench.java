package org.regcache.e2e.bench;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.SplittableRandom;
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
 * the range again. The medians are reported. The two sides use two buffers of the same size,
 * so that the uncached side's munmap never meets the cache's registration of its range.
 *
 * <p>The munmap + mmap is timed on both sides: without a cache, the munmap frees the buffer's
 * pages; with one, they are still pinned by the cached registration and are freed by its
 * deregistration inside the next acquire. Timing only the acquire would charge the cache with
 * the freeing that the uncached side did, untimed, in munmap.
 */
final class MissBench {
    /** The buffer size of the first, long warm-up. */
    static final int WARM_UP_SIZE = 4096;

    private MissBench() {
    }

    /** Misses per warm-up round after the first {@code minimum}. */
    static final int WARM_UP_ROUND = 500;
    /** Consecutive warm-up rounds without a JIT compilation that end the warm-up. */
    static final int QUIET_ROUNDS = 2;

    /** How a warm-up ended: misses run, and whether the JIT had stopped compiling. */
    record WarmUp(int misses, boolean jitSettled) {
    }

    /**
     * Runs untimed pairs on a buffer of {@code size} bytes: at least {@code minimum}, then
     * rounds of {@value #WARM_UP_ROUND} until {@value #QUIET_ROUNDS} rounds in a row compiled
     * nothing, or {@code maximum} were run. A benchmark that timed a dozen misses would time
     * the interpreter (the miss path's Java code is compiled only after some thousand runs, and
     * regMr's was warmed up by the hit measurements). In the guest the JIT's compiler threads
     * share the one emulated host thread with the program and keep compiling for tens of
     * thousands of misses (C2 recompiling what tier 3 compiled first, deoptimising, compiling
     * again), and a new buffer size brings new branch and loop profiles, so more compilation;
     * a miss timed meanwhile costs several times what it costs once the JIT is done, and the
     * cache's side of a pair, more Java than regMr + deregMr, pays more of that.
     */
    static WarmUp warmUp(IbvPd pd, RegistrationCache cache, int size, int minimum, int maximum)
            throws Exception {
        JitActivity jit = new JitActivity();
        measure(pd, cache, size, minimum);
        int misses = minimum;
        int quiet = 0;
        while (jit.observable() && quiet < QUIET_ROUNDS && misses < maximum) {
            long compiledBefore = jit.compiledMillis();
            measure(pd, cache, size, WARM_UP_ROUND);
            misses += WARM_UP_ROUND;
            quiet = jit.compiledMillis() == compiledBefore ? quiet + 1 : 0;
        }
        return new WarmUp(misses, quiet >= QUIET_ROUNDS);
    }

    /**
     * Measures {@code samples} pairs for a buffer of {@code size} bytes. Each side is timed in
     * two steps: regMr, then deregMr; and the cache's drain (an acquire + release of another,
     * cached buffer right after the munmap: it reads the INVAL event, unwatches the old range
     * and deregisters the old registration), then the miss proper (the acquire + release of
     * the buffer: REGISTER with ummunotify, regMr, index and Caffeine insertions).
     *
     * @throws IllegalStateException if an acquire after an invalidation was not a miss
     */
    static MissRow measure(IbvPd pd, RegistrationCache cache, int size, int samples)
            throws Exception {
        double[][] t = new double[6][samples];
        SplittableRandom random = new SplittableRandom(size);
        try (BufferPool plain = BufferPool.allocate(1, size, EnumSet.of(ChurnKind.MUNMAP_MMAP));
                BufferPool pool = BufferPool.allocate(1, size, EnumSet.of(ChurnKind.MUNMAP_MMAP));
                BufferPool probePool = BufferPool.allocate(1, BufferPool.PAGE_SIZE,
                        EnumSet.noneOf(ChurnKind.class))) {
            ClientBuffer buffer = pool.buffer(0);
            long probe = probePool.buffer(0).address();
            probePool.buffer(0).view().put(0, (byte) 1);
            cache.acquire(probe, BufferPool.PAGE_SIZE, Worker.ACCESS).close(); // cached now
            remap(pool, random);
            cache.acquire(buffer.address(), size, Worker.ACCESS).close();
            int probeMisses = 0;
            for (int i = -1; i < samples; i++) { // sample -1 warms up, unreported
                long registerRemap = remap(plain, random);
                long address = plain.buffer(0).address();
                long t0 = System.nanoTime();
                IbvMr mr = pd.regMr(address, size, IbvMr.IBV_ACCESS_LOCAL_WRITE).execute()
                        .free().getMr();
                long t1 = System.nanoTime();
                mr.deregMr().execute().free();
                long t2 = System.nanoTime();

                long missesBefore = cache.stats().misses();
                long missRemap = remap(pool, random);
                address = buffer.address();
                long t3 = System.nanoTime();
                cache.acquire(probe, BufferPool.PAGE_SIZE, Worker.ACCESS).close();
                long t4 = System.nanoTime();
                long missesAfterProbe = cache.stats().misses();
                long t4AfterStats = System.nanoTime();
                cache.acquire(address, size, Worker.ACCESS).close();
                long t5 = System.nanoTime();
                if (cache.stats().misses() != missesAfterProbe + 1) {
                    throw new IllegalStateException("an acquire after munmap + mmap of "
                            + size + " bytes was not a miss (" + pool.displacedRemaps()
                            + " remaps displaced so far): " + cache.stats());
                }
                if (missesAfterProbe != missesBefore) {
                    // The probe's own page was invalidated too (by the kernel's own memory
                    // management): this drain timed a second miss. Measure the pair again.
                    if (++probeMisses > samples) {
                        throw new IllegalStateException("the probe page was invalidated in "
                                + probeMisses + " of " + (i + 2) + " pairs: " + cache.stats());
                    }
                    i--;
                    continue;
                }
                if (i >= 0) {
                    t[0][i] = registerRemap + t2 - t0;
                    t[1][i] = missRemap + (t4 - t3) + (t5 - t4AfterStats);
                    t[2][i] = t1 - t0;
                    t[3][i] = t2 - t1;
                    t[4][i] = t4 - t3;
                    t[5][i] = t5 - t4AfterStats;
                }
            }
        }
        return new MissRow(size, Timing.median(t[0]), Timing.median(t[1]), Timing.median(t[2]),
                Timing.median(t[3]), Timing.median(t[4]), Timing.median(t[5]),
                DeviceSyscalls.notRun());
    }

    /**
     * munmap + mmap at the same address, then one write per page (the pages exist); the
     * timed pass's remap and {@link CountedMisses}'s.
     *
     * @return the nanoseconds of the munmap + mmap (the writes are not timed)
     */
    static long remap(BufferPool pool, SplittableRandom random) {
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
