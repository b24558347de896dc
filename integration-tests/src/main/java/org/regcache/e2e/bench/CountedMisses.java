package org.regcache.e2e.bench;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.InetAddress;
import java.util.EnumSet;
import java.util.Locale;
import java.util.SplittableRandom;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationException;
import org.regcache.e2e.memory.BufferPool;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.Worker;
import org.regcache.verbs.DisniProtectionDomain;

/**
 * The count mode of the miss loop, a program of its own that {@link SyscallCountPass} runs
 * under strace: the cache of the timed pass (/dev/ummunotify, the real module, DiSNI's
 * registrar), one buffer of the given size, and same-address misses as the timed pass makes
 * them (munmap + mmap of the buffer at its address, a write to each page, then acquire +
 * release; without the timed pass's probe acquire, so the miss's own acquire drains the
 * event). First {@code --warmup} misses outside the window (the device's opening, the
 * ring's set-up and the first registration are not per-miss costs), then a
 * marker call, {@code --misses} misses, a marker call. The marker calls are failed opens of
 * {@code --begin} and {@code --end}, paths that must not exist: strace shows them with their
 * names, and nothing else names them. Prints one line, the cache's figures for the window:
 *
 * <pre>
 * counted-misses misses=500 displaced=0 eventRingInUse=true drainsFromRing=500 drainsWithRead=0
 * </pre>
 *
 * <pre>
 * usage: CountedMisses --ip A --size BYTES --misses N --warmup N --begin PATH --end PATH
 * </pre>
 *
 * Exit status 0 when it ran, 1 when an acquire after a remap was not a miss or anything
 * failed, 2 for bad arguments.
 */
public final class CountedMisses {
    /** The prefix of the line this program prints. */
    static final String RESULT = "counted-misses";

    private CountedMisses() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) {
        String ip = null;
        String begin = null;
        String end = null;
        int size = 0;
        int misses = 0;
        int warmUp = 0;
        try {
            for (int i = 0; i + 1 < args.length; i += 2) {
                switch (args[i]) {
                    case "--ip" -> ip = args[i + 1];
                    case "--begin" -> begin = args[i + 1];
                    case "--end" -> end = args[i + 1];
                    case "--size" -> size = Integer.parseInt(args[i + 1]);
                    case "--misses" -> misses = Integer.parseInt(args[i + 1]);
                    case "--warmup" -> warmUp = Integer.parseInt(args[i + 1]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (args.length % 2 != 0 || ip == null || begin == null || end == null
                    || size < BufferPool.PAGE_SIZE || size % BufferPool.PAGE_SIZE != 0
                    || misses < 1 || warmUp < 1) {
                throw new IllegalArgumentException("usage: CountedMisses --ip A --size BYTES"
                        + " (whole pages) --misses N --warmup N --begin PATH --end PATH");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("counted-misses: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            System.out.println(run(InetAddress.getByName(ip), size, misses, warmUp, begin, end));
        } catch (Exception e) {
            System.out.flush();
            System.err.println("counted-misses: " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    private static String run(InetAddress address, int size, int misses, int warmUp,
            String begin, String end) throws Exception {
        SplittableRandom random = new SplittableRandom(size);
        try (DisniProtectionDomain domain = DisniProtectionDomain.open(address);
                RegistrationCache cache = CacheMode.UMMUNOTIFY.open(domain.registrar(),
                        2L * size);
                BufferPool pool = BufferPool.allocate(1, size,
                        EnumSet.of(ChurnKind.MUNMAP_MMAP))) {
            cache.acquire(pool.buffer(0).address(), size, Worker.ACCESS).close();
            missAfterRemaps(cache, pool, size, warmUp, random);
            long displacedBefore = pool.displacedRemaps();
            CacheStats before = cache.stats();
            mark(begin);
            missAfterRemaps(cache, pool, size, misses, random);
            mark(end);
            CacheStats window = cache.stats().minus(before);
            return String.format(Locale.ROOT, "%s misses=%d displaced=%d eventRingInUse=%b"
                    + " drainsFromRing=%d drainsWithRead=%d", RESULT, window.misses(),
                    pool.displacedRemaps() - displacedBefore, window.eventRingInUse(),
                    window.drainsFromRing(), window.drainsWithRead());
        }
    }

    /**
     * {@code n} times: munmap + mmap, a write to each page, acquire + release (a miss).
     *
     * @throws IllegalStateException if an acquire was not a miss
     */
    private static void missAfterRemaps(RegistrationCache cache, BufferPool pool, int size,
            int n, SplittableRandom random) throws RegistrationException {
        for (int i = 0; i < n; i++) {
            MissBench.remap(pool, random);
            long missesBefore = cache.stats().misses();
            cache.acquire(pool.buffer(0).address(), size, Worker.ACCESS).close();
            if (cache.stats().misses() != missesBefore + 1) {
                throw new IllegalStateException("an acquire after munmap + mmap of " + size
                        + " bytes was not a miss: " + cache.stats());
            }
        }
    }

    /** A system call that names {@code path} in strace's log: a failed open of it. */
    private static void mark(String path) throws IOException {
        try (FileInputStream unexpected = new FileInputStream(path)) {
            throw new IllegalStateException("marker path " + path + " exists");
        } catch (FileNotFoundException expected) {
            // the call was made; that is all a marker is for
        }
    }
}
