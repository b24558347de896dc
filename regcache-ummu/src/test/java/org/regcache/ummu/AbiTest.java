package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java view of include/uapi/linux/ummunotify.h matches the header. */
class AbiTest {
    private static final Path HEADER_DIR = Path.of(System.getProperty("user.dir"))
            .resolveSibling("kernel").resolve("include").resolve("uapi");

    @Test
    void structuresHaveTheSizesAndOffsetsOfTheSeedAbi() {
        assertEquals(32, UmmunotifyAbi.REGISTER_SIZE);
        assertEquals(32, UmmunotifyAbi.EVENT_SIZE);
        assertEquals(0, UmmunotifyAbi.EVENT_TYPE_OFFSET);
        assertEquals(4, UmmunotifyAbi.EVENT_FLAGS_OFFSET);
        assertEquals(8, UmmunotifyAbi.EVENT_HINT_START_OFFSET);
        assertEquals(16, UmmunotifyAbi.EVENT_HINT_END_OFFSET);
        assertEquals(24, UmmunotifyAbi.EVENT_COOKIE_COUNTER_OFFSET);
    }

    @Test
    void ioctlNumbersFollowTheGenericEncoding() {
        assertEquals(0xC0045501L, UmmunotifyAbi.EXCHANGE_FEATURES);
        assertEquals(0x40205502L, UmmunotifyAbi.REGISTER_REGION);
        assertEquals(0x40085503L, UmmunotifyAbi.UNREGISTER_REGION);
        assertEquals(0x40105504L, UmmunotifyAbi.SETUP_RING);
        assertEquals(0x5401L & 0xffff, IoctlEncoding.ioc(IoctlEncoding.NONE, 'T', 1, 0));
        assertThrows(IllegalArgumentException.class, () -> IoctlEncoding.iow('U', 1, 1 << 14));
        assertThrows(IllegalArgumentException.class, () -> IoctlEncoding.iow('U', 256, 4));
    }

    @Test
    void valuesAgreeWithTheHeaderCompiledByGcc(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HEADER_DIR.resolve("linux/ummunotify.h")),
                "uapi header not found at " + HEADER_DIR);
        Path source = dir.resolve("abi.c");
        Files.writeString(source, String.join("\n",
                "#include <stdio.h>",
                "#include <stddef.h>",
                "#include <linux/ummunotify.h>",
                "int main(void) {",
                "  printf(\"EXCHANGE_FEATURES %lu\\n\", (unsigned long)UMMUNOTIFY_EXCHANGE_FEATURES);",
                "  printf(\"REGISTER_REGION %lu\\n\", (unsigned long)UMMUNOTIFY_REGISTER_REGION);",
                "  printf(\"UNREGISTER_REGION %lu\\n\", (unsigned long)UMMUNOTIFY_UNREGISTER_REGION);",
                "  printf(\"REGISTER_SIZE %zu\\n\", sizeof(struct ummunotify_register_ioctl));",
                "  printf(\"EVENT_SIZE %zu\\n\", sizeof(struct ummunotify_event));",
                "  printf(\"COOKIE_OFFSET %zu\\n\", offsetof(struct ummunotify_event, user_cookie_counter));",
                "  printf(\"HINT_END_OFFSET %zu\\n\", offsetof(struct ummunotify_event, hint_end));",
                "  printf(\"INVAL %d\\nLAST %d\\nHINT %d\\n\", UMMUNOTIFY_EVENT_TYPE_INVAL,",
                "         UMMUNOTIFY_EVENT_TYPE_LAST, UMMUNOTIFY_EVENT_FLAG_HINT);",
                "  printf(\"SKIP_SAME_PAGES %d\\n\", UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES);",
                "  printf(\"REPORT_AT_END %d\\n\", UMMUNOTIFY_FEATURE_REPORT_AT_END);",
                "  printf(\"EVENT_RING %d\\n\", UMMUNOTIFY_FEATURE_EVENT_RING);",
                "  printf(\"SETUP_RING %lu\\n\", (unsigned long)UMMUNOTIFY_SETUP_RING);",
                "  printf(\"RING_SETUP_SIZE %zu\\n\", sizeof(struct ummunotify_ring_setup));",
                "  printf(\"RING_SETUP_ENTRIES %zu\\n\",",
                "         offsetof(struct ummunotify_ring_setup, entries));",
                "  printf(\"RING_OFFSET %llu\\n\", (unsigned long long)UMMUNOTIFY_RING_OFFSET);",
                "  printf(\"RING_MIN %d\\nRING_MAX %d\\n\", UMMUNOTIFY_RING_MIN_ENTRIES,",
                "         UMMUNOTIFY_RING_MAX_ENTRIES);",
                "  printf(\"RING_LEN %zu\\n\", (size_t)UMMUNOTIFY_RING_LEN(4096, 4096));",
                "  printf(\"RING_HEAD %zu\\n\", offsetof(struct ummunotify_ring, head));",
                "  printf(\"RING_ENTRIES %zu\\n\", offsetof(struct ummunotify_ring, entries));",
                "  printf(\"RING_FLAGS %zu\\n\", offsetof(struct ummunotify_ring, flags));",
                "  printf(\"RING_OVERFLOW %d\\n\", UMMUNOTIFY_RING_OVERFLOW);",
                "  return 0;",
                "}", ""));
        Path binary = dir.resolve("abi");
        assumeTrue(run(List.of("gcc", "-I" + HEADER_DIR, "-o", binary.toString(),
                source.toString())) != null, "gcc not available");
        Map<String, Long> c = new HashMap<>();
        for (String line : run(List.of(binary.toString())).split("\n")) {
            String[] kv = line.split(" ");
            c.put(kv[0], Long.parseLong(kv[1]));
        }
        assertEquals(c.get("EXCHANGE_FEATURES"), UmmunotifyAbi.EXCHANGE_FEATURES);
        assertEquals(c.get("REGISTER_REGION"), UmmunotifyAbi.REGISTER_REGION);
        assertEquals(c.get("UNREGISTER_REGION"), UmmunotifyAbi.UNREGISTER_REGION);
        assertEquals(c.get("REGISTER_SIZE"), UmmunotifyAbi.REGISTER_SIZE);
        assertEquals(c.get("EVENT_SIZE"), UmmunotifyAbi.EVENT_SIZE);
        assertEquals(c.get("COOKIE_OFFSET"), UmmunotifyAbi.EVENT_COOKIE_COUNTER_OFFSET);
        assertEquals(c.get("HINT_END_OFFSET"), UmmunotifyAbi.EVENT_HINT_END_OFFSET);
        assertEquals(c.get("INVAL"), UmmunotifyAbi.EVENT_TYPE_INVAL);
        assertEquals(c.get("LAST"), UmmunotifyAbi.EVENT_TYPE_LAST);
        assertEquals(c.get("HINT"), UmmunotifyAbi.EVENT_FLAG_HINT);
        assertEquals(c.get("SKIP_SAME_PAGES"), UmmunotifyAbi.FEATURE_SKIP_SAME_PAGES);
        assertEquals(c.get("REPORT_AT_END"), UmmunotifyAbi.FEATURE_REPORT_AT_END);
        assertEquals(c.get("EVENT_RING"), UmmunotifyAbi.FEATURE_EVENT_RING);
        assertEquals(c.get("SETUP_RING"), UmmunotifyAbi.SETUP_RING);
        assertEquals(c.get("RING_SETUP_SIZE"), UmmunotifyAbi.RING_SETUP_SIZE);
        assertEquals(c.get("RING_SETUP_ENTRIES"), UmmunotifyAbi.RING_SETUP_ENTRIES_OFFSET);
        assertEquals(c.get("RING_OFFSET"), UmmunotifyAbi.RING_OFFSET);
        assertEquals(c.get("RING_MIN"), UmmunotifyAbi.RING_MIN_ENTRIES);
        assertEquals(c.get("RING_MAX"), UmmunotifyAbi.RING_MAX_ENTRIES);
        assertEquals(c.get("RING_LEN"), UmmunotifyAbi.ringLength(4096, 4096));
        assertEquals(c.get("RING_HEAD"), UmmunotifyAbi.RING_HEAD_OFFSET);
        assertEquals(c.get("RING_ENTRIES"), UmmunotifyAbi.RING_ENTRIES_OFFSET);
        assertEquals(c.get("RING_FLAGS"), UmmunotifyAbi.RING_FLAGS_OFFSET);
        assertEquals(c.get("RING_OVERFLOW"), UmmunotifyAbi.RING_OVERFLOW);
    }

    /** Runs a command; returns its output, or null when it cannot be started or fails. */
    private static String run(List<String> command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        }
    }
}
