package org.regcache.e2e.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.regcache.api.CacheStats;
import org.regcache.e2e.workload.ByteSizes;
import org.regcache.e2e.workload.ProgressListener;
import org.regcache.e2e.workload.TransferTotals;
import org.regcache.e2e.workload.WorkloadResult;

/**
 * Prints a line of live progress, "(b)   5 s   1,234 transfers ...", for the reports that come
 * at least a second before the end of the turn (the caller prints the turn's last line),
 * adding the earlier turns of the same mode so that the figures are the mode's running totals.
 */
final class ProgressLine implements ProgressListener {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final String tag;
    private final WorkloadResult earlier;
    private final long turnNanos;
    private final PrintStream out;

    /**
     * @param tag     what runs, for example "(b)"
     * @param earlier the mode's earlier turns together, or null
     * @param turn    how long this turn runs
     */
    ProgressLine(String tag, WorkloadResult earlier, Duration turn, PrintStream out) {
        this.tag = tag;
        this.earlier = earlier;
        this.turnNanos = turn.toNanos();
        this.out = out;
    }

    @Override
    public void progress(long elapsedNanos, TransferTotals totals, CacheStats stats) {
        if (elapsedNanos + SECOND > turnNanos) {
            return;
        }
        long elapsed = elapsedNanos;
        TransferTotals sum = totals;
        if (earlier != null) {
            elapsed += earlier.elapsedNanos();
            sum = earlier.totals().plus(totals);
        }
        out.println(format(tag, elapsed, sum, stats));
        out.flush();
    }

    static String format(String tag, long elapsedNanos, TransferTotals totals,
            CacheStats stats) {
        long lookups = stats.hits() + stats.misses();
        double hitRate = lookups == 0 ? 0 : 100.0 * stats.hits() / lookups;
        double seconds = elapsedNanos / 1e9;
        return String.format(Locale.ROOT,
                "  %s %3d s  %,9d transfers  %11s/s  hit rate %5.1f%%  invalidations %,7d"
                        + "  corrupted %,6d",
                tag, TimeUnit.NANOSECONDS.toSeconds(elapsedNanos), totals.transfers(),
                ByteSizes.format(seconds > 0 ? totals.bytes() / seconds : 0), hitRate,
                stats.invalidationsReceived(), totals.corrupted());
    }
}
