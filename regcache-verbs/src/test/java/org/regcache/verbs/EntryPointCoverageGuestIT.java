package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.ibm.disni.util.NativeAffinity;
import com.ibm.disni.verbs.impl.NativeDispatcher;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs last in the guest JVM and checks that the guest tests called every libdisni entry
 * point that libdisni-entry-points.txt lists as exercised.
 *
 * <p>HotSpot binds a JNI method on its first call, and {@code -Xlog:jni+resolve=debug}
 * (set by run-guest-tests, file named by {@code -Dregcache.jni.log}) logs each binding, so
 * the log lists exactly the entry points called at least once. libdisni itself keeps no
 * counters: it has no mutable global state.
 */
@Order(Integer.MAX_VALUE)
class EntryPointCoverageGuestIT {
    static final String LIST = "libdisni-entry-points.txt";
    private static final Pattern BINDING = Pattern.compile(
            "Dynamic-linking native method com\\.ibm\\.disni\\.(?:verbs\\.impl|util)\\.(\\w+\\.\\w+) ");

    /** Entry point ("Class._method") to "exercised" or "excluded: reason", in file order. */
    static Map<String, String> listedEntryPoints() throws IOException {
        Map<String, String> listed = new LinkedHashMap<>();
        try (InputStream in = EntryPointCoverageGuestIT.class.getResourceAsStream(LIST)) {
            if (in == null) {
                fail(LIST + " is missing from the test class path");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String entry = line.strip();
                if (entry.isEmpty() || entry.startsWith("#")) {
                    continue;
                }
                String[] parts = entry.split("\\s+", 2);
                if (parts.length != 2 || listed.put(parts[0], parts[1]) != null) {
                    fail(LIST + ": malformed or repeated line: " + line);
                }
            }
        }
        return listed;
    }

    @Test
    void theListNamesEveryNativeMethodOfDisniOnce() throws IOException {
        Set<String> declared = new TreeSet<>();
        for (Class<?> type : new Class<?>[] {NativeDispatcher.class, NativeAffinity.class}) {
            for (Method method : type.getDeclaredMethods()) {
                if (Modifier.isNative(method.getModifiers())) {
                    declared.add(type.getSimpleName() + "." + method.getName());
                }
            }
        }
        Map<String, String> listed = listedEntryPoints();

        assertEquals(50, declared.size());
        assertEquals(declared, new TreeSet<>(listed.keySet()));
        for (Map.Entry<String, String> entry : listed.entrySet()) {
            String status = entry.getValue();
            assertTrue(status.equals("exercised") || status.matches("excluded: \\S.*"),
                    entry.getKey() + ": status must be 'exercised' or 'excluded: <reason>'");
        }
    }

    @Test
    void theGuestTestsCalledEveryExercisedEntryPoint() throws IOException {
        String logFile = System.getProperty("regcache.jni.log");
        if (logFile == null) {
            fail("-Dregcache.jni.log is not set: run the guest tests with "
                    + "src/test/guest/run-guest-tests, which also sets -Xlog:jni+resolve");
        }
        Set<String> bound = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of(logFile), StandardCharsets.UTF_8)) {
            Matcher binding = BINDING.matcher(line);
            if (binding.find()) {
                bound.add(binding.group(1));
            }
        }
        List<String> missed = new ArrayList<>();
        for (Map.Entry<String, String> entry : listedEntryPoints().entrySet()) {
            if (entry.getValue().equals("exercised") && !bound.contains(entry.getKey())) {
                missed.add(entry.getKey());
            }
        }
        assertEquals(List.of(), missed, "entry points listed as exercised but never called; "
                + "called: " + bound.stream().collect(Collectors.joining(", ")));
    }

    @Test
    void noRdmaResourceOutlivedTheTests() throws Exception {
        GuestRdma.assertNoResourcesLeft();
    }
}
