package org.regcache.e2e.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TestPatternTest {
    private final TestPattern checker = new TestPattern(1 << 20);

    @Test
    void aFilledRangeMatchesItsSeedOnly() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(70_000);
        TestPattern.fill(buffer, 100, 65_536, 42);
        assertTrue(checker.matches(buffer, 100, 65_536, 42));
        assertFalse(checker.matches(buffer, 100, 65_536, 43));
        assertEquals(-1, checker.firstMismatch(buffer, 100, 65_536, 42));
    }

    @Test
    void theResultDoesNotDependOnTheBuffersByteOrder() {
        ByteBuffer little = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer big = ByteBuffer.allocateDirect(4096).order(ByteOrder.BIG_ENDIAN);
        TestPattern.fill(little, 0, 4096, 7);
        TestPattern.fill(big, 0, 4096, 7);
        assertEquals(0, little.compareTo(big));
        assertTrue(checker.matches(big, 0, 4096, 7));
    }

    @Test
    void everyStampIntervalCarriesTheSeed() {
        // a page of an older transfer next to fresh data is found wherever it is
        ByteBuffer buffer = ByteBuffer.allocate(16_384);
        TestPattern.fill(buffer, 0, 16_384, 1);
        ByteBuffer stale = ByteBuffer.allocate(4096);
        TestPattern.fill(stale, 0, 4096, 2);
        buffer.put(8192, stale, 0, 4096);
        assertEquals(8192, checker.firstMismatch(buffer, 0, 16_384, 1));
    }

    @Test
    void consecutiveSeedsDifferInTheirFirstBytes() {
        ByteBuffer a = ByteBuffer.allocate(8);
        ByteBuffer b = ByteBuffer.allocate(8);
        for (long seed = 0; seed < 1000; seed++) {
            TestPattern.fill(a, 0, 8, seed);
            TestPattern.fill(b, 0, 8, seed + 1);
            assertFalse(a.equals(b), "seeds " + seed + " and " + (seed + 1));
        }
    }

    @Test
    void shortRangesWithoutRoomForAStampStillFollowTheSeed() {
        ByteBuffer buffer = ByteBuffer.allocate(7);
        TestPattern.fill(buffer, 0, 7, 99);
        assertTrue(checker.matches(buffer, 0, 7, 99));
    }

    @Test
    void aRangeBeyondTheCheckersMaximumIsRefused() {
        TestPattern small = new TestPattern(100);
        assertThrows(IllegalArgumentException.class,
                () -> small.firstMismatch(ByteBuffer.allocate(200), 0, 200, 1));
        assertThrows(IllegalArgumentException.class, () -> new TestPattern(0));
    }
}
