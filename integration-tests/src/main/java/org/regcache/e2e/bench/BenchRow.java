package org.regcache.e2e.bench;

import java.util.Locale;

/**
 * The figures of one buffer size: the mean time of DiSNI's regMr + deregMr, of a cached
 * acquire + release, and of an RDMA WRITE of the whole buffer (for context).
 *
 * @param size             buffer size in bytes
 * @param registerNanos    regMr + deregMr, mean nanoseconds
 * @param cachedNanos      cached acquire + release, mean nanoseconds
 * @param writeNanos       RDMA WRITE of {@code size} bytes, mean nanoseconds; NaN if not
 *                         measured
 */
public record BenchRow(long size, double registerNanos, double cachedNanos, double writeNanos) {

    /** How many cached acquire + release cost as much as one regMr + deregMr. */
    public double ratio() {
        return registerNanos / cachedNanos;
    }

    /** "850 ns", "12.3 µs", "4.56 ms", "1.20 s". */
    public static String formatNanos(double nanos) {
        if (Double.isNaN(nanos)) {
            return "-";
        }
        if (nanos < 1_000) {
            return String.format(Locale.ROOT, "%.0f ns", nanos);
        }
        if (nanos < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        }
        if (nanos < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    /** "1,234x" for large ratios, "12.3x" below 100. */
    public static String formatRatio(double ratio) {
        return ratio >= 100 ? String.format(Locale.ROOT, "%,.0fx", ratio)
                : String.format(Locale.ROOT, "%.1fx", ratio);
    }
}
