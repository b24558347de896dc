package org.regcache.e2e.workload;

import com.ibm.disni.verbs.IbvPd;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;

/**
 * A {@link WorkloadConfig} set up on a registration cache: one {@link Worker} per thread, each
 * with its connection and buffers, all acquiring from the same cache. {@link #run} lets them
 * work for a while, reporting progress about once a second, and may be called again: the
 * connections, the buffers (and what the cache holds for them) and the random sequences carry
 * on, as in an application that keeps running. The first failure of any worker stops all of
 * them and is reported in the result; later runs refuse to start.
 */
public final class Workload implements AutoCloseable {
    private static final long PROGRESS_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final RegistrationCache cache;
    private final WorkloadConfig config;
    private final List<Worker> workers;
    private String failure;
    private boolean closed;

    private Workload(RegistrationCache cache, WorkloadConfig config, List<Worker> workers) {
        this.cache = cache;
        this.config = config;
        this.workers = workers;
    }

    /**
     * Connects the workers and allocates their buffers.
     *
     * @param cache    the cache under test; its registrar registers in {@code pd}
     * @param address  IPv4 address of the RDMA device
     * @param pd       the protection domain of the cache's registrar
     * @throws IOException if a worker cannot be set up (nothing is left behind)
     */
    public static Workload open(RegistrationCache cache, InetAddress address, IbvPd pd,
            WorkloadConfig config) throws IOException {
        Objects.requireNonNull(cache, "cache");
        List<Worker> workers = new ArrayList<>();
        try {
            for (int i = 0; i < config.threads(); i++) {
                workers.add(Worker.open(i, cache, address, pd, config));
            }
        } catch (IOException | RuntimeException e) {
            closeAll(workers, e);
            throw e;
        }
        return new Workload(cache, config, workers);
    }

    /**
     * Opens the workload, runs it for the configured duration and closes it; the cache stays
     * open. A failure to free the workers is reported in the result.
     */
    public static WorkloadResult run(String label, RegistrationCache cache, InetAddress address,
            IbvPd pd, WorkloadConfig config, ProgressListener listener) throws IOException {
        Workload workload = open(cache, address, pd, config);
        WorkloadResult result = workload.run(label, config.duration(), listener);
        try {
            workload.close();
        } catch (IOException e) {
            return new WorkloadResult(result.label(), result.elapsedNanos(), result.totals(),
                    result.stats(), result.corruptions(), (result.failure() == null ? ""
                            : result.failure() + "; ") + "closing the workers failed: "
                            + e.getMessage());
        }
        return result;
    }

    /**
     * Lets every worker run random rounds for {@code duration} (or until it reached the
     * configured transfer limit), and returns what happened in this run alone; the cache's
     * counters in the result are its totals.
     *
     * @throws IllegalStateException if a previous run failed or the workload is closed
     */
    public WorkloadResult run(String label, Duration duration, ProgressListener listener) {
        if (closed || failure != null) {
            throw new IllegalStateException(closed ? "the workload is closed"
                    : "the workload failed before: " + failure);
        }
        TransferTotals before = totals();
        List<String> corruptionsBefore = corruptions();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (Worker worker : workers) {
            Thread thread = new Thread(() -> {
                try {
                    worker.runRandom(config, () -> firstFailure.get() == null
                            && System.nanoTime() - deadline < 0);
                } catch (Exception | Error e) {
                    firstFailure.compareAndSet(null, worker + ": " + e);
                }
            }, "regcache-" + worker);
            threads.add(thread);
            thread.start();
        }
        long nextReport = start + PROGRESS_INTERVAL_NANOS;
        for (Thread thread : threads) {
            while (!joinUntil(thread, nextReport)) {
                listener.progress(System.nanoTime() - start, totals().minus(before),
                        cache.stats());
                nextReport += PROGRESS_INTERVAL_NANOS;
            }
        }
        long elapsed = System.nanoTime() - start;
        failure = firstFailure.get();
        List<String> corruptions = corruptions();
        corruptions.removeAll(corruptionsBefore);
        return new WorkloadResult(label, elapsed, totals().minus(before), cache.stats(),
                corruptions, failure);
    }

    /** Frees the workers' connections and buffers (the cache is the caller's). Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            closeAll(workers, null);
        }
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

    private TransferTotals totals() {
        TransferTotals sum = TransferTotals.none();
        for (Worker worker : workers) {
            sum = sum.plus(worker.totals());
        }
        return sum;
    }

    private List<String> corruptions() {
        List<String> found = new ArrayList<>();
        for (Worker worker : workers) {
            if (worker.firstCorruption() != null) {
                found.add(worker + ": " + worker.firstCorruption());
            }
        }
        return found;
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
