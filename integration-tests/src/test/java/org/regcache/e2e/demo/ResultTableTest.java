package org.regcache.e2e.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.regcache.api.CacheStats;
import org.regcache.e2e.workload.TransferTotals;
import org.regcache.e2e.workload.WorkloadResult;

class ResultTableTest {
    private static WorkloadResult result(String label, long transfers, long bytes, long hits,
            long misses, long invalidations, long corrupted) {
        return new WorkloadResult(label, 1_000_000_000L,
                new TransferTotals(transfers, bytes, corrupted, 0, 0, Map.of(), 0),
                CacheStats.builder().hits(hits).misses(misses).registerCalls(misses)
                        .deregisterCalls(misses).invalidationsReceived(invalidations).build(),
                List.of(), null);
    }

    @Test
    void rendersEveryColumnAlignedWithTheSpeedupOverTheBaseline() {
        WorkloadResult a = result("(a) no cache", 1000, 10 << 20, 0, 1000, 0, 0);
        WorkloadResult b = result("(b) regcache", 4000, 40 << 20, 3900, 100, 120, 0);
        WorkloadResult c = result("(c) UNSAFE", 5000, 50 << 20, 4990, 10, 0, 1234);
        assertEquals(4, ResultTable.render(List.of(a, b, c), a).size());
        List<String> lines = ResultTable.render(List.of(a, b, c), a,
                Map.of("(b) regcache", 4567L));
        assertEquals("mode          transfers   bytes  hit rate  regs avoided  inval. real"
                + "  inval. filtered  corrupted  throughput  speedup", lines.get(0));
        assertEquals("(a) no cache      1,000  10 MiB      0.0%             0            0"
                + "                -          0    10 MiB/s    1.00x", lines.get(1));
        assertEquals("(b) regcache      4,000  40 MiB     97.5%         3,900          120"
                + "            4,567          0    40 MiB/s    4.00x", lines.get(2));
        assertEquals("(c) UNSAFE        5,000  50 MiB     99.8%         4,990            0"
                + "                -      1,234    50 MiB/s    5.00x", lines.get(3));
        for (String line : lines) {
            assertEquals(lines.get(0).length(), line.length(), line);
        }
    }

    @Test
    void withoutABaselineTheSpeedupIsADash() {
        List<String> lines = ResultTable.render(
                List.of(result("(b)", 10, 100, 5, 5, 0, 0)), null);
        assertTrue(lines.get(1).endsWith("-"), lines.get(1));
    }

    @Test
    void aBaselineThatMovedNothingIsRefused() {
        WorkloadResult empty = result("(a)", 0, 0, 0, 0, 0, 0);
        assertThrows(IllegalArgumentException.class,
                () -> ResultTable.speedup(result("(b)", 1, 1, 1, 0, 0, 0), empty));
    }
}
