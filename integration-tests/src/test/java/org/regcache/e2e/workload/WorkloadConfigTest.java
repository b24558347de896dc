package org.regcache.e2e.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.regcache.e2e.memory.ChurnKind;

class WorkloadConfigTest {
    private static final Set<ChurnKind> ALL = EnumSet.allOf(ChurnKind.class);
    private static final Duration SECOND = Duration.ofSeconds(1);

    @Test
    void buffersHoldTheLargestTransferInWholePages() {
        WorkloadConfig config = new WorkloadConfig(List.of(100, 5000), 1, 2, ALL, 0.1, SECOND,
                0, 1);
        assertEquals(5000, config.maxSize());
        assertEquals(8192, config.bufferSize());
        assertEquals(Duration.ofSeconds(5), config.withDuration(Duration.ofSeconds(5))
                .duration());
        assertEquals(9, config.withSeed(9).seed());
    }

    @Test
    void everyBadParameterIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new WorkloadConfig(List.of(), 1, 2, ALL, 0.1, SECOND, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new WorkloadConfig(List.of(4), 1, 2, ALL, 0.1, SECOND, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new WorkloadConfig(List.of(4096), 0, 2, ALL, 0.1, SECOND, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new WorkloadConfig(List.of(4096),
                1, 1, EnumSet.of(ChurnKind.MREMAP_MOVE), 0.1, SECOND, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new WorkloadConfig(List.of(4096), 1, 2, ALL, 1.5, SECOND, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new WorkloadConfig(List.of(4096), 1, 2, ALL, Double.NaN, SECOND, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new WorkloadConfig(List.of(4096), 1, 2, ALL, 0.1, Duration.ZERO, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new WorkloadConfig(List.of(4096), 1, 2, ALL, 0.1, SECOND, -1, 1));
    }
}
