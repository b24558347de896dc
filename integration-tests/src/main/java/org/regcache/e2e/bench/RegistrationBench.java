package org.regcache.e2e.bench;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import java.io.PrintStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;
import org.regcache.e2e.memory.BufferPool;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.memory.ClientBuffer;
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
 * least 100 at 1 MiB.
 *
 * <pre>
 * usage: RegistrationBench [--sizes 4k,64k,1m,16m] [--millis 500] [--repeats 3] [--ip A]
 * </pre>
 */
public final class RegistrationBench {
    private static final long GOAL_SIZE = 1 << 20;
    private static final double GOAL_RATIO = 100;

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
        try (DisniProtectionDomain domain = DisniProtectionDomain.open(address);
                RegistrationCache cache = CacheMode.UMMUNOTIFY.open(domain.registrar(),
                        2 * largest);
                LoopbackConnection connection = LoopbackConnection.open(address, domain.pd(),
                        Math.toIntExact(largest))) {
            // under an emulated CPU the JIT needs seconds: a first pass over the smallest size
            // compiles every path measured, and is not reported
            long smallest = options.sizes().stream().mapToLong(Long::longValue).min()
                    .orElseThrow();
            measure(options, domain.pd(), cache, connection, (int) smallest);
            out.println("  warm-up: done");
            for (long size : options.sizes()) {
                BenchRow row = measure(options, domain.pd(), cache, connection, (int) size);
                rows.add(row);
                out.println("  " + ByteSizes.format(size) + ": done");
            }
        }
        out.println();
        BenchTable.render(rows).forEach(out::println);
        out.println();
        out.println(BenchTable.summary(rows, GOAL_SIZE, GOAL_RATIO));
    }

    private static BenchRow measure(BenchOptions options, IbvPd pd, RegistrationCache cache,
            LoopbackConnection connection, int size) throws Exception {
        long minNanos = TimeUnit.MILLISECONDS.toNanos(options.millis());
        int bufferSize = Math.toIntExact(
                (size + (long) BufferPool.PAGE_SIZE - 1) / BufferPool.PAGE_SIZE
                        * BufferPool.PAGE_SIZE);
        try (BufferPool pool = BufferPool.allocate(1, bufferSize,
                EnumSet.noneOf(ChurnKind.class))) {
            ClientBuffer buffer = pool.buffer(0);
            TestPattern.fill(buffer.view(), 0, size, size); // the pages exist, as in use
            long address = buffer.address();

            double register = Timing.medianNanosPerOperation(() -> {
                IbvMr mr = pd.regMr(address, size, IbvMr.IBV_ACCESS_LOCAL_WRITE)
                        .execute().free().getMr();
                mr.deregMr().execute().free();
            }, minNanos, options.repeats());

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
            cache.invalidate(address, size);
            return new BenchRow(size, register, cached, write);
        }
    }
}
