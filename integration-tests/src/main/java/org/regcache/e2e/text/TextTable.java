package org.regcache.e2e.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Lays out rows of cells as aligned text: the first column left-aligned, the rest right. */
public final class TextTable {
    private TextTable() {
    }

    /**
     * Aligns {@code rows} (the header first, if any), two spaces between columns.
     *
     * @param rows rows of cells; a shorter row leaves its last columns out
     * @return one line per row, in order
     */
    public static List<String> align(List<String[]> rows) {
        int columns = 0;
        for (String[] row : rows) {
            columns = Math.max(columns, row.length);
        }
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>(rows.size());
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                String format = i == 0 ? "%-" + widths[0] + "s" : "  %" + widths[i] + "s";
                b.append(String.format(Locale.ROOT, format, row[i]));
            }
            lines.add(b.toString());
        }
        return lines;
    }
}
