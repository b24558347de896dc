package org.regcache.verbs;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recovers the errno of a failed libdisni call from its {@link java.io.IOException} message.
 *
 * <p>Our libdisni writes {@code "<prefix>: <strerror text> (errno N)"}, so N is read
 * directly. Other builds of libdisni (the original writes {@code "<prefix>: <strerror
 * text>"}) are understood through the glibc texts of the errors memory registration and
 * connection set-up can report.
 */
final class NativeErrors {
    private static final Pattern ERRNO_SUFFIX = Pattern.compile("\\(errno (\\d+)\\)\\s*$");

    /** glibc's strerror texts of the errors rdma-core calls report. */
    private static final Map<String, Integer> STRERROR_TEXTS = Map.ofEntries(
            Map.entry("Operation not permitted", 1),
            Map.entry("No such file or directory", 2),
            Map.entry("Interrupted system call", 4),
            Map.entry("Input/output error", 5),
            Map.entry("No such device or address", 6),
            Map.entry("Bad file descriptor", 9),
            Map.entry("Resource temporarily unavailable", 11),
            Map.entry("Cannot allocate memory", 12),
            Map.entry("Permission denied", 13),
            Map.entry("Bad address", 14),
            Map.entry("Device or resource busy", 16),
            Map.entry("File exists", 17),
            Map.entry("No such device", 19),
            Map.entry("Invalid argument", 22),
            Map.entry("Too many open files", 24),
            Map.entry("No space left on device", 28),
            Map.entry("Numerical result out of range", 34),
            Map.entry("Function not implemented", 38),
            Map.entry("Value too large for defined data type", 75),
            Map.entry("Operation not supported", 95),
            Map.entry("Address already in use", 98),
            Map.entry("Cannot assign requested address", 99),
            Map.entry("Network is unreachable", 101),
            Map.entry("Connection reset by peer", 104),
            Map.entry("Connection timed out", 110),
            Map.entry("Connection refused", 111),
            Map.entry("No route to host", 113));

    private NativeErrors() {
    }

    /** The errno the message reports, or 0 if it names none (for example a Java-side check). */
    static int errnoOf(String message) {
        if (message == null) {
            return 0;
        }
        String text = message.strip();
        Matcher suffix = ERRNO_SUFFIX.matcher(text);
        if (suffix.find()) {
            try {
                return Integer.parseInt(suffix.group(1));
            } catch (NumberFormatException tooLong) {
                return 0;
            }
        }
        int colon = text.lastIndexOf(": ");
        String reason = colon >= 0 ? text.substring(colon + 2) : text;
        return STRERROR_TEXTS.getOrDefault(reason, 0);
    }

    /** The message without the trailing newline the original libdisni appends. */
    static String clean(String message) {
        return message == null ? "(no message)" : message.strip();
    }
}
