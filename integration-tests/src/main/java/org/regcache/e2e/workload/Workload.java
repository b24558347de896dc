package org.regcache.e2e.workload;

import com.ibm.disni.verbs.IbvPd;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;

/**
 * Runs a {@link WorkloadConfig} on a registration cache: one {@link Worker} per thread, all
 * acquiring from the same cache, for the configured duration, reporting progress about once a
 * second. The first failure of any worker stops all of them and is reported in the result.
 */
public final class Workload {
    private static final long PROGRESS_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private Workload() {
    }

    /**
     * Runs the workload and frees the workers' connections and buffers; the cache stays open.
     *
     * @param cache    the cache under test; its registrar registers in {@code pd}
     * @param address  IPv4 address of the RDMA device
     * @param pd       the protection domain of the cache's registrar
     * @throws IOException if a worker cannot be set up (nothing is left behind)
     */
    public static WorkloadResult run(String label, RegistrationCache cache, InetAddress address,
            IbvPd pd, WorkloadConfig config, ProgressListener listener) throws IOException {
        List<Worker> workers = new ArrayList<>();
        try {
            for (int i = 0; i < config.threads(); i++) {
                workers.add(Worker.open(i, cache, address, pd, config));
            }
        } catch (IOException | RuntimeException e) {
            closeAll(workers, e);
            throw e;
        }

        AtomicReference<String> failure = new AtomicReference<>();
        long start = System.nanoTime();
        long deadline = start + config.duration().toNanos();
        List<Thread> threads = new ArrayList<>();
        for (Worker worker : workers) {
            Thread thread = new Thread(() -> {
                try {
                    worker.runRandom(config,
                            () -> failure.get() == null && System.nanoTime() - deadline < 0);
                } catch (Exception | Error e) {
                    failure.compareAndSet(null, worker + ": " + e);
                }
            }, "regcache-" + worker);
            threads.add(thread);
            thread.start();
        }
        long nextReport = start + PROGRESS_INTERVAL_NANOS;
        for (Thread thread : threads) {
            while (!joinUntil(thread, nextReport)) {
                listener.progress(System.nanoTime() - start, totals(workers), cache.stats());
                nextReport += PROGRESS_INTERVAL_NANOS;
            }
        }
        long elapsed = System.nanoTime() - start;
        TransferTotals totals = totals(workers);
        CacheStats stats = cache.stats();
        List<String> corruptions = new ArrayList<>();
        for (Worker worker : workers) {
            if (worker.firstCorruption() != null) {
                corruptions.add(worker + ": " + worker.firstCorruption());
            }
        }
        String reason = failure.get();
        try {
            closeAll(workers, null);
        } catch (IOException e) {
            reason = reason == null ? "closing the workers failed: " + e.getMessage()
                    : reason + "; closing the workers failed too: " + e.getMessage();
        }
        return new WorkloadResult(label, elapsed, totals, stats, corruptions, reason);
    }

    /** Joins {@code thread} until {@code deadline}; true if it finished. */
    private static boolean joinUntil(Thread thread, long deadline) {
        long waitNanos = deadline - System.nanoTime();
        try {
            if (waitNanos > 0) {
                TimeUnit.NANOSECONDS.timedJoin(thread, waitNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running the workload", e);
        }
        return !thread.isAlive();
    }

    private static TransferTotals totals(List<Worker> workers) {
        TransferTotals sum = TransferTotals.none();
        for (Worker worker : workers) {
            sum = sum.plus(worker.totals());
        }
        return sum;
    }

    private static void closeAll(List<Worker> workers, Exception primary) throws IOException {
        IOException failure = null;
        for (Worker worker : workers) {
            try {
                worker.close();
            } catch (IOException | RuntimeException e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (failure == null) {
                    failure = new IOException(worker + ": " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
