package org.regcache.e2e.bench;

import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The system calls on /dev/ummunotify per miss of one buffer size, counted by strace in a run
 * of their own ({@link SyscallCountPass}), with the drain path the cache's stats reported for
 * the same misses; or why there is no count.
 */
public sealed interface DeviceSyscalls {

    /** The table's cell: "0.00", "1.00", or "n/a (...)" when nothing was counted. */
    String perMissCell();

    /** The drain path's cell: "ring 500, read() 0", "no ring: read() 500", or "n/a". */
    String drainCell();

    /** One line on what was counted, or why nothing was. */
    String detail();

    /** Whether the misses made no system call on the device: false when not counted. */
    boolean none();

    /** Not counted: strace is not installed. */
    static DeviceSyscalls noStrace() {
        return new NotCounted("n/a (no strace)", "not counted: no strace on the PATH");
    }

    /** Not counted: the count run failed, for {@code reason}. */
    static DeviceSyscalls failed(String reason) {
        return new NotCounted("n/a (count failed)", "count failed: " + reason);
    }

    /** Not counted yet: a row of timings alone. */
    static DeviceSyscalls notRun() {
        return new NotCounted("-", "not counted");
    }

    /**
     * A count over a window of misses.
     *
     * @param misses         misses the cache counted in the window (its stats' difference)
     * @param displaced      remaps in the window that did not land at the same address (their
     *                       misses were not same-address misses)
     * @param calls          system calls naming /dev/ummunotify in the window, by call name
     * @param eventRingInUse whether the cache's source drained from the event ring
     * @param drainsFromRing drains in the window that took the events from the ring
     * @param drainsWithRead drains in the window that read() them
     */
    record Counted(long misses, long displaced, SortedMap<String, Long> calls,
            boolean eventRingInUse, long drainsFromRing, long drainsWithRead)
            implements DeviceSyscalls {

        /** Copies {@code calls}. */
        public Counted {
            calls = new TreeMap<>(calls);
        }

        /** Every counted call. */
        public long total() {
            return calls.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public String perMissCell() {
            return misses == 0 ? "n/a (no miss)"
                    : String.format(Locale.ROOT, "%.2f", (double) total() / misses);
        }

        @Override
        public String drainCell() {
            return eventRingInUse
                    ? String.format(Locale.ROOT, "ring %,d, read() %,d", drainsFromRing,
                            drainsWithRead)
                    : String.format(Locale.ROOT, "no ring: read() %,d", drainsWithRead);
        }

        @Override
        public String detail() {
            String byName = calls.isEmpty() ? "" : ": " + calls.entrySet().stream()
                    .map(Counted::format).collect(Collectors.joining(", "));
            String moved = displaced == 0 ? ""
                    : String.format(Locale.ROOT, " (%,d remaps not at the same address)",
                            displaced);
            return String.format(Locale.ROOT, "%,d calls in %,d misses%s%s", total(), misses,
                    byName, moved);
        }

        @Override
        public boolean none() {
            return misses > 0 && total() == 0;
        }

        private static String format(Map.Entry<String, Long> call) {
            return String.format(Locale.ROOT, "%s %,d", call.getKey(), call.getValue());
        }
    }

    /**
     * No count.
     *
     * @param perMissCell the table's cell
     * @param detail      why
     */
    record NotCounted(String perMissCell, String detail) implements DeviceSyscalls {
        @Override
        public String drainCell() {
            return "n/a";
        }

        @Override
        public boolean none() {
            return false;
        }
    }
}
