package org.regcache.e2e.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchTableTest {
    private final List<BenchRow> rows = List.of(
            new BenchRow(4096, 140_000, 500, 600_000),
            new BenchRow(1 << 20, 300_000, 600, 19_000_000),
            new BenchRow(16 << 20, 1_200_000, 2_000, Double.NaN));

    @Test
    void theTableShowsAbsoluteTimesBesideTheRatios() {
        assertEquals(List.of(
                "buffer  DiSNI regMr+deregMr  cached acquire+release  ratio  RDMA WRITE (context)",
                "4 KiB              140.0 µs                  500 ns   280x              600.0 µs",
                "1 MiB              300.0 µs                  600 ns   500x              19.00 ms",
                "16 MiB              1.20 ms                  2.0 µs   600x                     -"),
                BenchTable.render(rows));
    }

    @Test
    void theSummaryNamesEveryRatioAndTheGoal() {
        assertEquals("bench: cached acquire+release vs regMr+deregMr: 4 KiB 280x, 1 MiB 500x,"
                + " 16 MiB 600x; goal >= 100x at 1 MiB: met",
                BenchTable.summary(rows, 1 << 20, 100));
        assertEquals("bench: cached acquire+release vs regMr+deregMr: 4 KiB 280x, 1 MiB 500x,"
                + " 16 MiB 600x; goal >= 1,000x at 1 MiB: NOT met",
                BenchTable.summary(rows, 1 << 20, 1000));
        assertEquals("bench: cached acquire+release vs regMr+deregMr: 4 KiB 280x, 1 MiB 500x,"
                + " 16 MiB 600x; goal >= 100x at 64 KiB: not measured",
                BenchTable.summary(rows, 64 << 10, 100));
    }

    @Test
    void smallRatiosKeepADecimal() {
        assertEquals("12.5x", BenchRow.formatRatio(12.5));
        assertEquals("1.20 s", BenchRow.formatNanos(1.2e9));
    }

    @Test
    void theMedianResistsOneDisturbedBlock() throws Exception {
        assertEquals(2, Timing.median(1, 2, 900));
        assertEquals(2.5, Timing.median(3, 1, 2, 900));
        assertThrows(IllegalArgumentException.class, () -> Timing.median());
        int[] calls = {0};
        double nanos = Timing.medianNanosPerOperation(() -> calls[0]++, 1_000_000, 3);
        assertEquals(true, nanos > 0 && calls[0] > 4);
    }

    @Test
    void optionsHaveDefaultsAndNameBadValues() {
        BenchOptions o = BenchOptions.parse("--ip", "192.0.2.1");
        assertEquals(List.of(4096L, 65536L, 1L << 20, 16L << 20), o.sizes());
        assertEquals(500, o.millis());
        assertEquals(5, o.repeats());
        BenchOptions p = BenchOptions.parse("--ip", "x", "--sizes", "1m", "--millis", "10",
                "--repeats", "5");
        assertEquals(List.of(1L << 20), p.sizes());
        assertEquals(10, p.millis());
        assertEquals(5, p.repeats());
        assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse("--ip", "x", "--millis", "0"));
        assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse("--ip", "x", "--sizes", "2g"));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--ip"));
        assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse("--ip", "x", "--what", "1"));
    }
}
