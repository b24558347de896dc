package org.regcache.e2e.bench;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import java.io.PrintStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;
import org.regcache.e2e.memory.BufferPool;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.rdma.LoopbackConnection;
import org.regcache.e2e.rdma.RdmaServer;
import org.regcache.e2e.workload.ByteSizes;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.TestPattern;
import org.regcache.e2e.workload.Worker;
import org.regcache.verbs.DisniProtectionDomain;

/**
 * The end-to-end registration benchmark: for each buffer size, DiSNI's regMr + deregMr on
 * every use against an acquire + release of the regcache kept by /dev/ummunotify (a hit with
 * the counter check), and, for context, an RDMA WRITE of the buffer over the same device.
 * Prints a table of absolute times and ratios and a closing line; the goal is a ratio of at
 * least 100 at 1 MiB. Then the miss after an invalidation ({@link MissBench}) against regMr +
 * deregMr of the same freshly mapped buffer, with its own table and closing line (goal: a
 * miss at most 1.2 times regMr + deregMr at every size), and beside the ratio the system
 * calls on /dev/ummunotify per miss, counted by strace in a separate, untimed run per size
 * ({@link SyscallCountPass}; goal: none).
 *
 * <pre>
 * usage: RegistrationBench [--sizes 4k,64k,1m,16m] [--millis 500] [--repeats 5] [--ip A]
 * </pre>
 */
public final class RegistrationBench {
    private static final long GOAL_SIZE = 1 << 20;
    private static final double GOAL_RATIO = 100;
    private static final double MISS_GOAL_RATIO = 1.2;
    /** A miss warm-up goes on while the JIT compiles, up to this many times its minimum. */
    private static final int MISS_WARM_UP_LIMIT = 10;
    /** Each size is warmed up again (new profiles), at least --miss-warmup / this. */
    private static final int SIZE_WARM_UP_DIVISOR = 20;

    private RegistrationBench() {
    }

    /** Entry point; exit status 0 when it ran (the goal is reported, not enforced), 2 for
     *  bad arguments, 1 for failures. */
    public static void main(String[] args) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        try {
            run(options, System.out);
        } catch (Exception e) {
            System.out.flush();
            System.err.println("bench: " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    static void run(BenchOptions options, PrintStream out) throws Exception {
        InetAddress address = InetAddress.getByName(options.address());
        long largest = options.sizes().stream().mapToLong(Long::longValue).max().orElseThrow();
        out.println("regcache benchmark on " + address.getHostAddress() + ": per use of a buffer,"
                + " DiSNI regMr+deregMr vs a cached acquire+release (/dev/ummunotify);"
                + " median of " + options.repeats() + " blocks of " + options.millis() + " ms");
        List<BenchRow> rows = new ArrayList<>();
        List<MissRow> missRows = new ArrayList<>();
        CacheStats stats;
        try (DisniProtectionDomain domain = DisniProtectionDomain.open(address);
                RegistrationCache cache = CacheMode.UMMUNOTIFY.open(domain.registrar(),
                        2 * largest);
                LoopbackConnection connection = LoopbackConnection.open(address, domain.pd(),
                        Math.toIntExact(largest))) {
            Map<Long, BufferPool> buffers = new LinkedHashMap<>();
            try {
                for (long size : options.sizes()) {
                    BufferPool pool = BufferPool.allocate(1, pageAligned(size),
                            EnumSet.noneOf(ChurnKind.class));
                    buffers.put(size, pool);
                    // the pages exist, as in a buffer in use
                    TestPattern.fill(pool.buffer(0).view(), 0, (int) size, size);
                }
                warmUp(options, domain.pd(), cache, buffers);
                out.println("  warm-up: done");
                for (long size : options.sizes()) {
                    rows.add(measure(options, domain.pd(), cache, connection,
                            buffers.get(size).buffer(0).address(), (int) size));
                    out.println("  " + ByteSizes.format(size) + ": done");
                }
            } finally {
                buffers.values().forEach(BufferPool::close);
            }
            stats = cache.stats();
            // After the hit buffers are gone: no eviction for capacity inside a timed miss.
            MissBench.WarmUp warmUp = MissBench.warmUp(domain.pd(), cache,
                    MissBench.WARM_UP_SIZE, options.missWarmUp(),
                    MISS_WARM_UP_LIMIT * options.missWarmUp());
            out.println("  miss warm-up: " + describe(warmUp));
            for (long size : options.sizes()) {
                int aligned = pageAligned(size);
                int minimum = Math.max(1, options.missWarmUp() / SIZE_WARM_UP_DIVISOR);
                warmUp = MissBench.warmUp(domain.pd(), cache, aligned, minimum,
                        MISS_WARM_UP_LIMIT * minimum);
                missRows.add(MissBench.measure(domain.pd(), cache, aligned,
                        options.missSamples()));
                out.println("  miss " + ByteSizes.format(size) + ": done, after a warm-up of "
                        + describe(warmUp));
            }
        }
        // After every timed pass, this JVM idle: each count runs in a JVM of its own, traced.
        for (int i = 0; i < missRows.size(); i++) {
            MissRow row = missRows.get(i);
            missRows.set(i, row.withSyscalls(SyscallCountPass.count(address,
                    Math.toIntExact(row.size()))));
            out.println("  count of ummunotify calls, " + ByteSizes.format(row.size())
                    + ": done");
        }
        out.println();
        BenchTable.render(rows).forEach(out::println);
        out.println(String.format(Locale.ROOT, "the cache meanwhile: %,d hits, %,d misses"
                + " (each a registration), %,d invalidations received from /dev/ummunotify",
                stats.hits(), stats.misses(), stats.invalidationsReceived()));
        out.println();
        out.println("the miss after an invalidation, median of " + options.missSamples()
                + " each: munmap + mmap again (remap) then DiSNI regMr+deregMr, against the"
                + " same remap then a cached acquire+release (a miss); pages written, untimed,"
                + " before either:");
        MissTable.render(missRows).forEach(out::println);
        out.println("ummunotify calls/miss: the system calls naming /dev/ummunotify (strace -f"
                + " -y, every call of every thread) between two marker calls around "
                + SyscallCountPass.MISSES + " same-address misses (munmap + mmap, acquire +"
                + " release; the same cache, module and DiSNI registrar) after "
                + SyscallCountPass.WARM_UP + " more, in a traced JVM of their own per size, not"
                + " the timed run, divided by the misses the cache counted there; drains: the"
                + " cache's drains in that window, from the event ring or with read():");
        MissTable.syscallDetails(missRows).forEach(out::println);
        out.println();
        out.println(BenchTable.summary(rows, GOAL_SIZE, GOAL_RATIO));
        out.println(MissTable.summary(missRows, MISS_GOAL_RATIO));
    }

    /**
     * Runs every measured operation for a while, unreported: under an emulated CPU the JIT
     * takes seconds to compile, and a path first seen late (another size) can make it
     * recompile in the middle of a measurement.
     */
    private static void warmUp(BenchOptions options, IbvPd pd, RegistrationCache cache,
            Map<Long, BufferPool> buffers) throws Exception {
        long deadline = System.nanoTime() + 4 * TimeUnit.MILLISECONDS.toNanos(options.millis());
        while (System.nanoTime() - deadline < 0) {
            for (Map.Entry<Long, BufferPool> buffer : buffers.entrySet()) {
                long address = buffer.getValue().buffer(0).address();
                int size = buffer.getKey().intValue();
                for (int i = 0; i < 1000; i++) {
                    cache.acquire(address, size, Worker.ACCESS).close();
                }
            }
        }
        Map.Entry<Long, BufferPool> smallest = buffers.entrySet().iterator().next();
        long address = smallest.getValue().buffer(0).address();
        int size = smallest.getKey().intValue();
        Timing.meanNanos(() -> registerAndDeregister(pd, address, size),
                TimeUnit.MILLISECONDS.toNanos(options.millis()));
    }

    private static BenchRow measure(BenchOptions options, IbvPd pd, RegistrationCache cache,
            LoopbackConnection connection, long address, int size) throws Exception {
        long minNanos = TimeUnit.MILLISECONDS.toNanos(options.millis());
        double register = Timing.medianNanosPerOperation(
                () -> registerAndDeregister(pd, address, size), minNanos, options.repeats());
        double cached = Timing.medianNanosPerOperation(
                () -> cache.acquire(address, size, Worker.ACCESS).close(),
                minNanos, options.repeats());
        double write;
        RdmaServer server = connection.server();
        try (RegistrationHandle handle = cache.acquire(address, size, Worker.ACCESS)) {
            write = Timing.medianNanosPerOperation(() -> connection.client().write(address,
                    size, handle.lkey(), server.address(), server.rkey()),
                    minNanos, options.repeats());
        }
        return new BenchRow(size, register, cached, write);
    }

    /** What an application without a cache does for every use: DiSNI regMr, then deregMr. */
    private static void registerAndDeregister(IbvPd pd, long address, int size)
            throws Exception {
        IbvMr mr = pd.regMr(address, size, IbvMr.IBV_ACCESS_LOCAL_WRITE).execute().free()
                .getMr();
        mr.deregMr().execute().free();
    }

    private static String describe(MissBench.WarmUp warmUp) {
        return String.format(Locale.ROOT, "%,d misses, %s", warmUp.misses(), warmUp.jitSettled()
                ? "the last " + MissBench.QUIET_ROUNDS * MissBench.WARM_UP_ROUND
                        + " without a JIT compilation"
                : "the JIT still compiling at the end (timings not settled)");
    }

    private static int pageAligned(long size) {
        return Math.toIntExact((size + BufferPool.PAGE_SIZE - 1) / BufferPool.PAGE_SIZE
                * BufferPool.PAGE_SIZE);
    }
}
