package org.regcache.e2e.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a log of {@code strace -f -y -o FILE} (one file, every thread, each line prefixed with
 * its thread id): the system calls that named one file (an fd argument or result shown as
 * {@code 5</dev/ummunotify>}) inside a window marked by two system calls naming marker paths
 * (a failed {@code openat} of a path that does not exist, say).
 *
 * <p>A call is counted once, when any of its lines lies strictly between the two markers and
 * any of them names the file: with several threads strace splits a call that another thread
 * interrupts into {@code name(args <unfinished ...>} and {@code <... name resumed>rest}, and
 * only one of the two may show the fd (a {@code read} started before the window and returning
 * inside it shows its fd only before). Signal lines ({@code --- SIGSEGV ...}, the JVM's
 * safepoint polls) and exit lines are no calls.
 */
final class StraceWindow {
    private static final Pattern PID = Pattern.compile("^(?:\\[pid\\s+)?(\\d+)\\]?\\s+(.*)$");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\. (\\w+) resumed>");
    private static final Pattern CALL = Pattern.compile("^(\\w+)\\(");
    private static final String UNFINISHED = "<unfinished ...>";

    private StraceWindow() {
    }

    /** A call whose first line was seen and whose second was not yet. */
    private record Pending(boolean namesFile, boolean counted) {
    }

    /**
     * The calls naming {@code file} between the markers, by call name.
     *
     * @param lines the log, in its order
     * @param file  the path strace -y shows in angle brackets, e.g. "/dev/ummunotify"
     * @param begin the path the call opening the window names (quoted in the log)
     * @param end   the path the call closing it names
     * @return call name to count, in name order; empty if none
     * @throws IllegalArgumentException if the log lacks a marker, or has the end before the
     *     begin: no window, no count
     */
    static SortedMap<String, Long> callsNaming(List<String> lines, String file, String begin,
            String end) {
        int first = indexOf(lines, begin, 0);
        if (first < 0) {
            throw new IllegalArgumentException("strace log has no call naming the begin marker "
                    + begin);
        }
        int last = indexOf(lines, end, first + 1);
        if (last < 0) {
            throw new IllegalArgumentException("strace log has no call naming the end marker "
                    + end + " after the begin marker");
        }
        SortedMap<String, Long> calls = new TreeMap<>();
        Map<String, Pending> pending = new HashMap<>(); // thread id -> its unfinished call
        for (int i = 0; i < last; i++) {
            Matcher line = PID.matcher(lines.get(i));
            String thread = line.matches() ? line.group(1) : "";
            String text = line.matches() ? line.group(2) : lines.get(i);
            boolean inWindow = i > first;
            boolean names = namesFile(text, file);
            Matcher resumed = RESUMED.matcher(text);
            Matcher call = CALL.matcher(text);
            if (resumed.find()) {
                Pending started = pending.remove(thread);
                boolean startedNaming = started != null && started.namesFile();
                boolean counted = started != null && started.counted();
                if (inWindow && (names || startedNaming) && !counted) {
                    calls.merge(resumed.group(1), 1L, Long::sum);
                }
            } else if (call.find()) {
                boolean count = inWindow && names;
                if (count) {
                    calls.merge(call.group(1), 1L, Long::sum);
                }
                if (text.endsWith(UNFINISHED)) {
                    pending.put(thread, new Pending(names, count));
                }
            }
        }
        return calls;
    }

    /**
     * Whether any line of the log names {@code file}, inside the window or not: a run that
     * opened the device and yet shows it nowhere was not traced as this class reads it (no
     * -y, another process), and its count of none would mean nothing.
     */
    static boolean anyNaming(List<String> lines, String file) {
        return lines.stream().anyMatch(line -> namesFile(line, file));
    }

    /**
     * Whether strace -y showed an fd of {@code file} in {@code text}: "5&lt;/dev/x&gt;", or
     * with -yy "5&lt;/dev/x&lt;char 10:1&gt;&gt;".
     */
    static boolean namesFile(String text, String file) {
        String open = "<" + file;
        for (int at = text.indexOf(open); at >= 0; at = text.indexOf(open, at + 1)) {
            int after = at + open.length();
            if (after < text.length()
                    && (text.charAt(after) == '>' || text.charAt(after) == '<')) {
                return true;
            }
        }
        return false;
    }

    private static int indexOf(List<String> lines, String marker, int from) {
        String quoted = "\"" + marker + "\"";
        for (int i = from; i < lines.size(); i++) {
            if (lines.get(i).contains(quoted)) {
                return i;
            }
        }
        return -1;
    }
}
