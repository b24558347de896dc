package org.regcache.e2e.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MissTableTest {
    private static final DeviceSyscalls NONE = new DeviceSyscalls.Counted(500, 0,
            new TreeMap<>(), true, 500, 0);
    private static final DeviceSyscalls READS = new DeviceSyscalls.Counted(500, 0,
            new TreeMap<>(Map.of("read", 500L, "ioctl", 2L)), false, 0, 500);

    private final List<MissRow> rows = List.of(
            new MissRow(4096, 40_000, 44_000, 20_000, 10_000, 12_000, 21_000, NONE),
            new MissRow(16 << 20, 250_000, 325_000, 150_000, 50_000, 90_000, 160_000, READS));

    @Test
    void theTableShowsBothTimesTheRatioAndTheCallsPerMissBesideIt() {
        assertEquals(List.of(
                "buffer  remap, regMr+deregMr  remap, miss  ratio  ummunotify calls/miss"
                        + "     regMr  deregMr  miss: drain  miss: register"
                        + "   drains (count run)",
                "4 KiB                40.0 µs      44.0 µs   1.10                   0.00"
                        + "   20.0 µs  10.0 µs      12.0 µs         21.0 µs"
                        + "   ring 500, read() 0",
                "16 MiB              250.0 µs     325.0 µs   1.30                   1.00"
                        + "  150.0 µs  50.0 µs      90.0 µs        160.0 µs"
                        + "  no ring: read() 500"),
                MissTable.render(rows));
        assertEquals(List.of("  4 KiB: 0 calls in 500 misses",
                "  16 MiB: 502 calls in 500 misses: ioctl 2, read 500"),
                MissTable.syscallDetails(rows));
    }

    @Test
    void theGoalsHoldOnlyWhenEverySizeMeetsThem() {
        assertEquals("bench: miss vs regMr+deregMr: 4 KiB 1.10, 16 MiB 1.30; goal <= 1.2 at"
                + " every size: NOT met; /dev/ummunotify calls per miss: 4 KiB 0.00, 16 MiB 1.00;"
                + " goal none at every size: NOT met", MissTable.summary(rows, 1.2));
        List<MissRow> free = List.of(rows.get(0), rows.get(1).withSyscalls(NONE));
        assertEquals("bench: miss vs regMr+deregMr: 4 KiB 1.10, 16 MiB 1.30; goal <= 1.5 at"
                + " every size: met; /dev/ummunotify calls per miss: 4 KiB 0.00, 16 MiB 0.00;"
                + " goal none at every size: met", MissTable.summary(free, 1.5));
        assertEquals("bench: miss vs regMr+deregMr: ; goal <= 1.2 at every size: not measured;"
                + " /dev/ummunotify calls per miss: ; goal none at every size: not measured",
                MissTable.summary(List.of(), 1.2));
    }

    @Test
    void oneCallInFiveHundredMissesReadsZeroButMissesTheGoal() {
        DeviceSyscalls one = new DeviceSyscalls.Counted(500, 0, new TreeMap<>(Map.of("read",
                1L)), true, 499, 1);
        MissRow row = rows.get(0).withSyscalls(one);
        assertEquals("bench: miss vs regMr+deregMr: 4 KiB 1.10; goal <= 1.2 at every size: met;"
                + " /dev/ummunotify calls per miss: 4 KiB 0.00; goal none at every size: NOT met",
                MissTable.summary(List.of(row), 1.2));
    }

    @Test
    void withoutStraceTheColumnSaysSoAndTheGoalIsNotMeasured() {
        List<MissRow> uncounted = List.of(rows.get(0).withSyscalls(DeviceSyscalls.noStrace()));
        assertEquals("4 KiB                40.0 µs      44.0 µs   1.10        n/a (no strace)"
                + "  20.0 µs  10.0 µs      12.0 µs         21.0 µs                 n/a",
                MissTable.render(uncounted).get(1));
        assertEquals("bench: miss vs regMr+deregMr: 4 KiB 1.10; goal <= 1.2 at every size: met;"
                + " /dev/ummunotify calls per miss: 4 KiB n/a (no strace); goal none at every"
                + " size: not measured", MissTable.summary(uncounted, 1.2));
        assertEquals(List.of("  4 KiB: not counted: no strace on the PATH"),
                MissTable.syscallDetails(uncounted));
    }

    @Test
    void theCountRunsLineIsRead() {
        assertEquals(Map.of("misses", "500", "displaced", "0", "eventRingInUse", "true",
                "drainsFromRing", "500", "drainsWithRead", "0"), SyscallCountPass.figures(
                        List.of("INFO something else", CountedMisses.RESULT + " misses=500"
                                + " displaced=0 eventRingInUse=true drainsFromRing=500"
                                + " drainsWithRead=0")));
    }

    @Test
    void missSamplesHaveADefaultAndAreParsed() {
        assertEquals(21, BenchOptions.parse("--ip", "x").missSamples());
        assertEquals(5, BenchOptions.parse("--ip", "x", "--miss-samples", "5").missSamples());
    }
}
