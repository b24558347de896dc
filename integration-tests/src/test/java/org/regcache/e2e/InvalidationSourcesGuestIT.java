package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.Worker;
import org.regcache.e2e.workload.WorkloadResult;

/**
 * The demo's modes as assertions, for every way memory changes under a registration: with
 * /dev/ummunotify no transfer is ever corrupted; without invalidation the same sequence is
 * corrupted (so the checks are known to bite); without a cache nothing is.
 */
@Tag("device")
class InvalidationSourcesGuestIT {
    private static final int BUFFER = 64 * 1024;
    private static final long CAPACITY = 64L << 20;
    private static final long TRANSFERS = 200;

    @RegisterExtension
    static final GuestFixture guest = new GuestFixture();

    @ParameterizedTest
    @EnumSource(ChurnKind.class)
    void theUmmunotifyCacheNeverReturnsAStaleRegistration(ChurnKind kind) throws Exception {
        try (RegistrationCache cache = CacheMode.UMMUNOTIFY.open(guest.domain().registrar(),
                CAPACITY)) {
            try (Worker worker = guest.worker(cache,
                    GuestFixture.single(BUFFER, 2, EnumSet.of(kind)))) {
                StaleScenario after = StaleScenario.run(worker, kind);
                assertTrue(after.writeIntact(), "RDMA WRITE after " + kind.description());
                assertTrue(after.readIntact(), "RDMA READ after " + kind.description());
            }
            WorkloadResult random = guest.run(kind.name(), cache,
                    GuestFixture.random(1, EnumSet.of(kind), TRANSFERS));
            assertNull(random.failure());
            assertEquals(TRANSFERS, random.totals().transfers());
            assertTrue(random.totals().churns() > 0, "the buffers changed");
            assertEquals(0, random.totals().corrupted(), () -> "corrupted: "
                    + random.corruptions());
            CacheStats stats = cache.stats();
            assertTrue(stats.hits() > 0, "the cache served hits: " + stats);
            if (kind.onMappedMemory()) {
                assertTrue(stats.invalidationsReceived() > 0,
                        "the device reported the changes: " + stats);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = ChurnKind.class, names = {"MUNMAP_MMAP", "MAP_FIXED_REPLACE",
        "MADVISE_DONTNEED", "MREMAP_MOVE"})
    void withoutInvalidationTheChecksCatchTheStaleRegistration(ChurnKind kind)
            throws Exception {
        try (RegistrationCache cache = CacheMode.UNSAFE_NO_INVALIDATION.open(
                guest.domain().registrar(), CAPACITY);
                Worker worker = guest.worker(cache,
                        GuestFixture.single(BUFFER, 2, EnumSet.of(kind)))) {
            StaleScenario after = StaleScenario.run(worker, kind);
            assertFalse(after.writeIntact(), "the server saw the old pages after "
                    + kind.description());
            assertFalse(after.readIntact(), "the client missed the data after "
                    + kind.description());
            assertEquals(2, worker.totals().corrupted());
        }
    }

    @Test
    void randomTrafficWithoutInvalidationIsCorrupted() throws Exception {
        try (RegistrationCache cache = CacheMode.UNSAFE_NO_INVALIDATION.open(
                guest.domain().registrar(), CAPACITY)) {
            WorkloadResult result = guest.run("unsafe", cache,
                    GuestFixture.random(1, EnumSet.allOf(ChurnKind.class), TRANSFERS));
            assertNull(result.failure());
            assertTrue(result.totals().corrupted() > 0, "stale registrations corrupted data");
            assertFalse(result.corruptions().isEmpty());
        }
    }

    @Test
    void withoutACacheNothingIsCorrupted() throws Exception {
        try (RegistrationCache cache = CacheMode.UNCACHED.open(guest.domain().registrar(), 0)) {
            WorkloadResult result = guest.run("uncached", cache,
                    GuestFixture.random(1, EnumSet.allOf(ChurnKind.class), TRANSFERS));
            assertNull(result.failure());
            assertEquals(0, result.totals().corrupted(), () -> "corrupted: "
                    + result.corruptions());
            CacheStats stats = cache.stats();
            assertEquals(TRANSFERS, stats.registerCalls(), "one registration per transfer");
            assertEquals(stats.registerCalls(), stats.deregisterCalls());
        }
    }
}
