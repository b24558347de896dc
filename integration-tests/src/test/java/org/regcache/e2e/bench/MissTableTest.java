package org.regcache.e2e.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MissTableTest {
    private final List<MissRow> rows = List.of(
            new MissRow(4096, 40_000, 44_000, 20_000, 10_000, 12_000, 21_000),
            new MissRow(16 << 20, 250_000, 325_000, 150_000, 50_000, 90_000, 160_000));

    @Test
    void theTableShowsBothTimesAndTheRatio() {
        assertEquals(List.of(
                "buffer  remap, regMr+deregMr  remap, miss  ratio     regMr  deregMr"
                        + "  miss: drain  miss: register",
                "4 KiB                40.0 µs      44.0 µs   1.10   20.0 µs  10.0 µs"
                        + "      12.0 µs         21.0 µs",
                "16 MiB              250.0 µs     325.0 µs   1.30  150.0 µs  50.0 µs"
                        + "      90.0 µs        160.0 µs"),
                MissTable.render(rows));
    }

    @Test
    void theGoalHoldsOnlyWhenEverySizeMeetsIt() {
        assertEquals("bench: miss vs regMr+deregMr: 4 KiB 1.10, 16 MiB 1.30; goal <= 1.2 at"
                + " every size: NOT met", MissTable.summary(rows, 1.2));
        assertEquals("bench: miss vs regMr+deregMr: 4 KiB 1.10, 16 MiB 1.30; goal <= 1.5 at"
                + " every size: met", MissTable.summary(rows, 1.5));
        assertEquals("bench: miss vs regMr+deregMr: ; goal <= 1.2 at every size: not measured",
                MissTable.summary(List.of(), 1.2));
    }

    @Test
    void missSamplesHaveADefaultAndAreParsed() {
        assertEquals(21, BenchOptions.parse("--ip", "x").missSamples());
        assertEquals(5, BenchOptions.parse("--ip", "x", "--miss-samples", "5").missSamples());
    }
}
