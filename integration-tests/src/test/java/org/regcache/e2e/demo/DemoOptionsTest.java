package org.regcache.e2e.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.CacheMode;

class DemoOptionsTest {
    @Test
    void defaultsRunAllThreeModesWithEveryChange() {
        DemoOptions o = DemoOptions.parse();
        assertEquals(List.of(CacheMode.UNCACHED, CacheMode.UMMUNOTIFY,
                CacheMode.UNSAFE_NO_INVALIDATION), o.modes());
        assertEquals(false, o.numa());
        assertEquals(EnumSet.allOf(ChurnKind.class), o.workload().churnKinds());
        assertEquals(List.of(1024, 4096), o.workload().sizes());
        assertEquals(Duration.ofSeconds(10), o.workload().duration());
        assertEquals(10, o.rounds());
        assertEquals(Duration.ofSeconds(1), o.turn());
        assertNull(o.address());
    }

    @Test
    void numaAddsTheUnfilteredCacheBeforeTheUnsafeOne() {
        DemoOptions o = DemoOptions.parse("--seconds", "20", "--numa");
        assertEquals(true, o.numa());
        assertEquals(List.of(CacheMode.UNCACHED, CacheMode.UMMUNOTIFY,
                CacheMode.UMMUNOTIFY_EVERY_INVALIDATION, CacheMode.UNSAFE_NO_INVALIDATION),
                o.modes());
        assertEquals(List.of(CacheMode.UMMUNOTIFY_EVERY_INVALIDATION, CacheMode.UMMUNOTIFY),
                DemoOptions.parse("--numa", "--modes", "d,b").modes());
    }

    @Test
    void everyOptionIsParsed() {
        DemoOptions o = DemoOptions.parse("--seconds", "30", "--sizes", "1k,1m", "--buffers",
                "3", "--churn", "0.5", "--changes", "madvise-dontneed,mremap-move", "--threads",
                "2", "--modes", "b,a", "--max-pinned", "1g", "--seed", "9", "--ip", "10.0.0.1",
                "--rounds", "3", "--warmup", "0");
        assertEquals(List.of(CacheMode.UMMUNOTIFY, CacheMode.UNCACHED), o.modes());
        assertEquals(List.of(1024, 1 << 20), o.workload().sizes());
        assertEquals(3, o.workload().buffersPerThread());
        assertEquals(0.5, o.workload().churnProbability());
        assertEquals(EnumSet.of(ChurnKind.MADVISE_DONTNEED, ChurnKind.MREMAP_MOVE),
                o.workload().churnKinds());
        assertEquals(2, o.workload().threads());
        assertEquals(1L << 30, o.maxPinnedBytes());
        assertEquals(9, o.workload().seed());
        assertEquals("10.0.0.1", o.address());
        assertEquals(Duration.ofSeconds(10), o.turn());
        assertEquals(Duration.ZERO, o.warmup());
        assertEquals(EnumSet.noneOf(ChurnKind.class),
                DemoOptions.parse("--changes", "none").workload().churnKinds());
    }

    @Test
    void helpIsNotAnError() {
        assertNull(DemoOptions.parse("--help"));
        assertTrue(DemoOptions.USAGE.contains("--seconds"));
    }

    @Test
    void badArgumentsAreNamed() {
        assertMessage("unknown option '--colour'", "--colour", "red");
        assertMessage("--seconds needs a value", "--seconds");
        assertMessage("--seconds must be a positive number", "--seconds", "0");
        assertMessage("--churn must be within 0 .. 1", "--churn", "2");
        assertMessage("unknown change 'shred'", "--changes", "shred");
        assertMessage("no mode 'e'", "--modes", "a,e");
        assertMessage("mode b given twice", "--modes", "b,b");
        assertMessage("not a size: 'big'", "--sizes", "big");
        assertMessage("smaller than one buffer", "--max-pinned", "1k");
        assertMessage("--rounds 20 exceeds --seconds 10", "--rounds", "20");
        assertMessage("--rounds 3 exceeds --seconds 2", "--seconds", "2", "--rounds", "3");
        assertMessage("unknown argument 'x'", "x");
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DemoOptions.parse(args));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
