package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.WorkloadResult;
import org.regcache.ummu.UmmunotifyException;

/**
 * Without the module (run-in-guest --no-module): building the ummunotify cache fails with the
 * documented message, never falling back to an unsafe cache, and the explicitly uncached mode
 * still transfers correctly.
 */
@Tag("no-module")
class ModuleMissingGuestIT {
    private static final int ENOENT = 2;

    @RegisterExtension
    static final GuestFixture guest = new GuestFixture();

    @BeforeAll
    static void moduleIsAbsent() {
        assertFalse(Files.exists(Path.of("/dev/ummunotify")),
                "these tests run under integration-tests/vm/run-in-guest --no-module");
    }

    @Test
    void theCacheRefusesToBuildAndNamesTheRemedy() throws Exception {
        UmmunotifyException e = assertThrows(UmmunotifyException.class,
                () -> CacheMode.UMMUNOTIFY.open(guest.domain().registrar(), 1L << 20));
        assertEquals(ENOENT, e.errno());
        assertTrue(e.getMessage().startsWith("cannot open /dev/ummunotify: "), e.getMessage());
        assertTrue(e.getMessage().contains("module not loaded: modprobe ummunotify, see README"
                + " (or build the cache uncached())"), e.getMessage());
        assertEquals(List.of(), GuestEnvironment.userMemoryRegions());
    }

    @Test
    void theUncachedModeStillTransfersCorrectly() throws Exception {
        long transfers = 200;
        try (RegistrationCache cache = CacheMode.UNCACHED.open(guest.domain().registrar(), 0)) {
            WorkloadResult result = guest.run("uncached", cache,
                    GuestFixture.random(1, EnumSet.allOf(ChurnKind.class), transfers));
            assertNull(result.failure());
            assertEquals(transfers, result.totals().transfers());
            assertEquals(0, result.totals().corrupted(), () -> "corrupted: "
                    + result.corruptions());
            CacheStats stats = cache.stats();
            assertEquals(transfers, stats.registerCalls());
            assertEquals(stats.registerCalls(), stats.deregisterCalls());
        }
        assertEquals(List.of(), GuestEnvironment.userMemoryRegions());
    }
}
