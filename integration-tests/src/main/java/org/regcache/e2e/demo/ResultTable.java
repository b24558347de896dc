package org.regcache.e2e.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.regcache.e2e.text.TextTable;
import org.regcache.e2e.workload.ByteSizes;
import org.regcache.e2e.workload.WorkloadResult;

/**
 * The demo's final table: one row per run with transfers, bytes, cache hit rate,
 * registrations avoided, invalidations (those the cache received, each dropping a
 * registration, and those the kernel filtered out because the pages stayed), corrupted
 * transfers, throughput and the speedup over a baseline run.
 */
public final class ResultTable {
    private static final String[] HEADERS = {"transfers", "bytes", "hit rate", "regs avoided",
        "inval. real", "inval. filtered", "corrupted", "throughput", "speedup"};

    private ResultTable() {
    }

    /**
     * Renders the table.
     *
     * @param results  the runs, in row order
     * @param baseline the run the speedup column compares with (its own row shows 1.00x), or
     *                 null for no speedup column values ("-")
     * @return the lines, header first
     */
    public static List<String> render(List<WorkloadResult> results, WorkloadResult baseline) {
        return render(results, baseline, Map.of());
    }

    /**
     * Renders the table.
     *
     * @param results  the runs, in row order
     * @param baseline the run the speedup column compares with (its own row shows 1.00x), or
     *                 null for no speedup column values ("-")
     * @param filtered by row label, the invalidations the kernel left out for that run
     *                 (UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES); "-" for a run without a count
     * @return the lines, header first
     */
    public static List<String> render(List<WorkloadResult> results, WorkloadResult baseline,
            Map<String, Long> filtered) {
        List<String[]> rows = new ArrayList<>();
        for (WorkloadResult r : results) {
            rows.add(new String[] {
                r.label(),
                String.format(Locale.ROOT, "%,d", r.totals().transfers()),
                ByteSizes.format(r.totals().bytes()),
                String.format(Locale.ROOT, "%.1f%%", 100 * r.hitRate()),
                String.format(Locale.ROOT, "%,d", r.registrationsAvoided()),
                String.format(Locale.ROOT, "%,d", r.stats().invalidationsReceived()),
                filtered.containsKey(r.label())
                        ? String.format(Locale.ROOT, "%,d", filtered.get(r.label())) : "-",
                String.format(Locale.ROOT, "%,d", r.totals().corrupted()),
                ByteSizes.format(r.bytesPerSecond()) + "/s",
                baseline == null ? "-" : String.format(Locale.ROOT, "%.2fx",
                        speedup(r, baseline)),
            });
        }
        String[] header = new String[HEADERS.length + 1];
        header[0] = "mode";
        System.arraycopy(HEADERS, 0, header, 1, HEADERS.length);
        rows.add(0, header);
        return TextTable.align(rows);
    }

    /**
     * Throughput of {@code result} divided by that of {@code baseline}.
     *
     * @throws IllegalArgumentException if the baseline moved no bytes
     */
    public static double speedup(WorkloadResult result, WorkloadResult baseline) {
        if (baseline.bytesPerSecond() <= 0) {
            throw new IllegalArgumentException("the baseline " + baseline.label()
                    + " transferred nothing");
        }
        return result.bytesPerSecond() / baseline.bytesPerSecond();
    }
}
