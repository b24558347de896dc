package org.regcache.e2e.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.regcache.api.CacheStats;

/**
 * The outcome of one {@link Workload} run.
 *
 * @param label          what ran (for example the cache mode)
 * @param elapsedNanos   time the workers ran
 * @param totals         transfer counts of all workers
 * @param stats          the cache's counters at the end
 * @param corruptions    a description of the first corrupted transfer of each worker that had
 *                       one
 * @param failure        why the run stopped early (a transfer the device rejected, a
 *                       registration that failed), or null if it ran to the end
 */
public record WorkloadResult(String label, long elapsedNanos, TransferTotals totals,
        CacheStats stats, List<String> corruptions, String failure) {

    /** Checks and copies. */
    public WorkloadResult {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(totals, "totals");
        Objects.requireNonNull(stats, "stats");
        corruptions = List.copyOf(corruptions);
        if (elapsedNanos <= 0) {
            throw new IllegalArgumentException("elapsedNanos must be > 0, was " + elapsedNanos);
        }
    }

    /**
     * This run and {@code next}, a later run on the same cache, as one: times and transfers
     * add up, the cache's counters are {@code next}'s (they accumulate over the cache's life),
     * and the first failure counts.
     */
    public WorkloadResult followedBy(WorkloadResult next) {
        List<String> allCorruptions = new ArrayList<>(corruptions);
        allCorruptions.addAll(next.corruptions);
        return new WorkloadResult(label, elapsedNanos + next.elapsedNanos,
                totals.plus(next.totals), next.stats, allCorruptions,
                failure != null ? failure : next.failure);
    }

    /** Whether every worker ran to the end. */
    public boolean completed() {
        return failure == null;
    }

    /** Acquires that found a cached registration, as a fraction of all acquires (0 to 1). */
    public double hitRate() {
        long lookups = stats.hits() + stats.misses();
        return lookups == 0 ? 0 : (double) stats.hits() / lookups;
    }

    /**
     * Registrations a per-transfer registration would have made and this run did not: one
     * acquire per transfer, minus the registrations made.
     */
    public long registrationsAvoided() {
        return Math.max(0, totals.transfers() - stats.registerCalls());
    }

    /** Checked bytes per second. */
    public double bytesPerSecond() {
        return totals.bytes() * 1e9 / elapsedNanos;
    }

    /** Checked transfers per second. */
    public double transfersPerSecond() {
        return totals.transfers() * 1e9 / elapsedNanos;
    }
}
