package org.regcache.e2e.bench;

import java.util.ArrayList;
import java.util.List;
import org.regcache.e2e.text.TextTable;
import org.regcache.e2e.workload.ByteSizes;

/** The benchmark's table: one row per buffer size, absolute times beside the ratio. */
public final class BenchTable {
    private static final String[] HEADERS = {"buffer", "DiSNI regMr+deregMr",
        "cached acquire+release", "ratio", "RDMA WRITE (context)"};

    private BenchTable() {
    }

    /** The lines of the table, header first. */
    public static List<String> render(List<BenchRow> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADERS);
        for (BenchRow row : rows) {
            cells.add(new String[] {
                ByteSizes.format(row.size()),
                BenchRow.formatNanos(row.registerNanos()),
                BenchRow.formatNanos(row.cachedNanos()),
                BenchRow.formatRatio(row.ratio()),
                BenchRow.formatNanos(row.writeNanos()),
            });
        }
        return TextTable.align(cells);
    }

    /**
     * The closing line: every ratio, and whether the goal at {@code goalSize} was met, e.g.
     * "bench: cached vs regMr+deregMr: 4 KiB 210x, 1 MiB 3,400x; goal >= 100x at 1 MiB: met".
     */
    public static String summary(List<BenchRow> rows, long goalSize, double goalRatio) {
        List<String> parts = new ArrayList<>();
        String verdict = "not measured";
        for (BenchRow row : rows) {
            parts.add(ByteSizes.format(row.size()) + " " + BenchRow.formatRatio(row.ratio()));
            if (row.size() == goalSize) {
                verdict = row.ratio() >= goalRatio ? "met" : "NOT met";
            }
        }
        return "bench: cached acquire+release vs regMr+deregMr: " + String.join(", ", parts)
                + "; goal >= " + BenchRow.formatRatio(goalRatio) + " at "
                + ByteSizes.format(goalSize) + ": " + verdict;
    }
}
