package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.regcache.api.CacheStats;
import org.regcache.api.EvictionCause;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.Worker;
import org.regcache.e2e.workload.WorkloadConfig;
import org.regcache.e2e.workload.WorkloadResult;

/**
 * A cache capped below the working set keeps working: it evicts idle registrations, never one
 * in use (the device still accepts its key and the data arrives intact), and nothing is
 * corrupted.
 */
@Tag("device")
class MemoryPressureGuestIT {
    private static final int BUFFER = 64 * 1024;
    private static final long CAPACITY = 4 * BUFFER;

    @RegisterExtension
    static final GuestFixture guest = new GuestFixture();

    @Test
    void aRegistrationInUseIsNeverEvicted() throws Exception {
        int buffers = 8;
        try (RegistrationCache cache = CacheMode.UMMUNOTIFY.open(guest.domain().registrar(),
                CAPACITY);
                Worker worker = guest.worker(cache, GuestFixture.single(BUFFER, buffers,
                        EnumSet.noneOf(ChurnKind.class)))) {
            for (int i = 1; i < buffers; i++) {
                assertTrue(worker.write(i, 0, BUFFER));
            }
            long held = worker.pool().buffer(0).address();
            // acquired last, when the cache is full: the first candidate for eviction
            try (RegistrationHandle handle = cache.acquire(held, BUFFER, Worker.ACCESS)) {
                for (int round = 0; round < 2; round++) {
                    for (int i = 1; i < buffers; i++) {
                        assertTrue(worker.write(i, 0, BUFFER));
                    }
                }
                CacheStats stats = cache.stats();
                assertTrue(stats.evictions(EvictionCause.CAPACITY) > 0, stats.toString());
                assertTrue(GuestEnvironment.userMemoryRegionKeys().contains(handle.lkey()),
                        "the registration in use is still registered");
                assertTrue(worker.writeWith(handle, 0, 0, BUFFER),
                        "the device accepts its key and the data arrives intact");
            }
            assertTrue(worker.write(1, 0, BUFFER));
            CacheStats after = cache.stats();
            assertTrue(after.pinnedBytes() <= CAPACITY, "back within the capacity: " + after);
            assertEquals(0, worker.totals().corrupted());
        }
    }

    @Test
    void concurrentTrafficOverAWorkingSetBeyondTheCapacity() throws Exception {
        // 2 threads x 6 buffers of 64 KiB against a capacity of 4 buffers; 400 transfers
        // each touch far more distinct buffers than fit (bounded by work, not by time)
        WorkloadConfig config = new WorkloadConfig(List.of(4096, 16384, 65536), 2, 6,
                EnumSet.allOf(ChurnKind.class), 0.05, GuestFixture.AT_MOST, 400, 5);
        try (RegistrationCache cache = CacheMode.UMMUNOTIFY.open(guest.domain().registrar(),
                CAPACITY)) {
            WorkloadResult result = guest.run("pressure", cache, config);
            assertNull(result.failure());
            assertTrue(result.totals().transfers() > 0);
            assertEquals(0, result.totals().corrupted(), () -> "corrupted: "
                    + result.corruptions());
            CacheStats stats = cache.stats();
            assertTrue(stats.evictions(EvictionCause.CAPACITY) > 0, stats.toString());
            assertTrue(stats.pinnedBytes() <= CAPACITY, "within the capacity: " + stats);
        }
    }
}
