package org.regcache.e2e.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.regcache.e2e.text.TextTable;
import org.regcache.e2e.workload.ByteSizes;

/** The miss table: per buffer size, regMr + deregMr beside a miss, and their ratio. */
public final class MissTable {
    private static final String[] HEADERS = {"buffer", "remap, regMr+deregMr",
        "remap, miss", "ratio", "regMr", "deregMr", "miss: drain", "miss: register"};

    private MissTable() {
    }

    /** The lines of the table, header first. */
    public static List<String> render(List<MissRow> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADERS);
        for (MissRow row : rows) {
            cells.add(new String[] {
                ByteSizes.format(row.size()),
                BenchRow.formatNanos(row.registerNanos()),
                BenchRow.formatNanos(row.missNanos()),
                String.format(Locale.ROOT, "%.2f", row.ratio()),
                BenchRow.formatNanos(row.regMrNanos()),
                BenchRow.formatNanos(row.deregMrNanos()),
                BenchRow.formatNanos(row.drainNanos()),
                BenchRow.formatNanos(row.reregisterNanos()),
            });
        }
        return TextTable.align(cells);
    }

    /**
     * The closing line: every ratio and whether every size met the goal, e.g. "bench: miss vs
     * regMr+deregMr: 4 KiB 1.05, 16 MiB 1.01; goal <= 1.2 at every size: met".
     */
    public static String summary(List<MissRow> rows, double goalRatio) {
        List<String> parts = new ArrayList<>();
        boolean met = !rows.isEmpty();
        for (MissRow row : rows) {
            parts.add(String.format(Locale.ROOT, "%s %.2f", ByteSizes.format(row.size()),
                    row.ratio()));
            met &= row.ratio() <= goalRatio;
        }
        return String.format(Locale.ROOT, "bench: miss vs regMr+deregMr: %s; goal <= %.1f at"
                + " every size: %s", String.join(", ", parts), goalRatio,
                rows.isEmpty() ? "not measured" : met ? "met" : "NOT met");
    }
}
