package org.regcache.e2e.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing and printing byte counts with binary units (4k, 64KiB, 1m; "64 KiB"). */
public final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]?)(?:i?b)?",
            Pattern.CASE_INSENSITIVE);
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private ByteSizes() {
    }

    /**
     * Parses "4096", "4k", "64KiB", "1m", "1MiB", "2g".
     *
     * @throws IllegalArgumentException naming the text if it is not such a size or overflows
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text
                    + "' (examples: 4096, 4k, 64KiB, 1m)");
        }
        int shift;
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k":
                shift = 10;
                break;
            case "m":
                shift = 20;
                break;
            case "g":
                shift = 30;
                break;
            default:
                shift = 0;
        }
        try {
            long value = Long.parseLong(m.group(1));
            if (value > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return value << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
    }

    /** Parses a comma-separated list of sizes, each an int: "4k,64k,1m". */
    public static List<Integer> parseIntList(String text) {
        List<Integer> sizes = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            long size = parse(part);
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("size too large: '" + part + "'");
            }
            sizes.add((int) size);
        }
        return sizes;
    }

    /** "512 B", "4 KiB", "1.5 MiB", "16 MiB": exact values without decimals. */
    public static String format(double bytes) {
        int unit = 0;
        double value = bytes;
        while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        if (value == Math.rint(value)) {
            return String.format(Locale.ROOT, "%d %s", (long) value, UNITS[unit]);
        }
        return String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : "%.1f %s", value,
                UNITS[unit]);
    }
}
