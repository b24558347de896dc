package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.WorkloadConfig;
import org.regcache.e2e.workload.WorkloadResult;

/**
 * Several threads, each with its own connection and buffers that it keeps changing, share one
 * /dev/ummunotify cache for a fixed number of transfers: no transfer is corrupted, and closing
 * the cache leaves no memory region and no watched range behind.
 */
@Tag("device")
@Tag("unprivileged")
class ConcurrentChurnGuestIT {
    private static final int THREADS = 3;
    /** Per thread: with a change before a tenth of them, about 300 changes in all. */
    private static final int TRANSFERS = 1000;

    @RegisterExtension
    static final GuestFixture guest = new GuestFixture();

    @Test
    void threadsChurningTheirBuffersNeverSeeCorruptionAndCloseLeavesNothing() throws Exception {
        RecordingUmmunotifySource source = RecordingUmmunotifySource.open();
        RegistrationCache cache = RegistrationCache.builder()
                .registrar(guest.domain().registrar())
                .invalidationSource(() -> source)
                .maxPinnedBytes(64L << 20)
                .build();
        WorkloadConfig config = new WorkloadConfig(List.of(4096, 16384, 65536), THREADS, 6,
                EnumSet.allOf(ChurnKind.class), 0.1, GuestFixture.AT_MOST, TRANSFERS, 42);
        try {
            WorkloadResult result = guest.run("concurrent", cache, config);
            assertNull(result.failure());
            assertEquals(THREADS * TRANSFERS, result.totals().transfers(),
                    "every thread did all its transfers");
            assertEquals(0, result.totals().corrupted(), () -> "corrupted: "
                    + result.corruptions());
            CacheStats stats = cache.stats();
            assertTrue(stats.invalidationsReceived() > 0, "the device reported changes: "
                    + stats);
            assertEquals(0, stats.detachedInUseEntries(), "every handle was released");
            assertEquals(stats.pinnedEntries() + source.kept(), source.registrations(),
                    "one watched range per cached registration, besides those kept for reuse");
            assertEquals(stats.pinnedEntries(), GuestEnvironment.userMemoryRegions().size(),
                    "the workers' connections are gone; the cache's registrations remain");
        } finally {
            cache.close();
        }
        assertEquals(source.keptAtClose(), source.registrationsAtClose(),
                "every range was unwatched before the device was closed (its kernel"
                + " registration kept for reuse at most, freed with the file)");
        assertFalse(source.descriptorOpen(), "the device is closed");
        assertEquals(List.of(), GuestEnvironment.userMemoryRegions(), "memory regions left");
        CacheStats end = cache.stats();
        assertEquals(end.registerCalls(), end.deregisterCalls(), end.toString());
        assertEquals(0, end.pinnedBytes(), end.toString());
    }
}
