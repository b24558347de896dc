package org.regcache.e2e.workload;

import org.regcache.api.CacheStats;

/** Receives a {@link Workload}'s progress about once a second, on the thread that runs it. */
@FunctionalInterface
public interface ProgressListener {
    /** A listener that ignores progress. */
    ProgressListener NONE = (elapsedNanos, totals, stats) -> { };

    /**
     * @param elapsedNanos time since the workers started
     * @param totals       counts of all workers so far
     * @param stats        the cache's counters now
     */
    void progress(long elapsedNanos, TransferTotals totals, CacheStats stats);
}
