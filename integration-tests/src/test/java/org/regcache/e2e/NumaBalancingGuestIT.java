package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.Worker;
import org.regcache.ummu.UmmunotifyInvalidationSource;

/**
 * On a guest with two NUMA nodes and NUMA balancing scanning fast ({@code run-in-guest
 * --numa}), a steady working set of registered (pinned, through SoftRoCE) buffers that is only
 * read and written: a cache with UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES keeps every registration
 * and so its hit rate, while the same traffic through a cache without it loses registrations to
 * every balancing scan. Both deliver every byte intact. Bounded by work: it runs until the
 * cache without the filter has received {@value #SCANS_SEEN} invalidations, i.e. until that
 * many balancing scans hit the working set; a generous time limit only catches a guest where
 * balancing does not run.
 *
 * <p>The test thread (which allocates, writes and reads every buffer) is confined to the CPUs
 * of node 0, so the buffers' pages are allocated there and every access to them is local: the
 * claim is about the scan, not about migration. The scan leaves pinned pages alone (both kernels
 * skip DMA-pinned pages of private mappings), but a buffer is pinned only from its first acquire
 * on, and a page the scan marked before that and then touched from the other node (by the
 * test's write or by the registration faulting it in) would be migrated; migration replaces the
 * page, and the kernel reports it with or without the filter, rightly. One failure seen before
 * this confinement (a CI run of 2026-12-03: 7 invalidations with the filter, 8 without) is not
 * explained: such a migration is one way to get there, but moving the thread to node 1 after
 * the allocation did not reproduce it. The summary printed before the assertions counts the
 * guest's page migrations meanwhile, to tell the next failure apart.
 */
@Tag("numa")
class NumaBalancingGuestIT {
    private static final int BUFFER = 256 * 1024;
    private static final int BUFFERS = 4;
    private static final long CAPACITY = 64L << 20;
    private static final long SCANS_SEEN = 5;
    private static final Duration HANG_GUARD = Duration.ofMinutes(20);

    @RegisterExtension
    static final GuestFixture guest = new GuestFixture();

    @Test
    void theFilterKeepsTheHitRateThroughNumaBalancingWhileEveryScanCostsTheOtherCache()
            throws Exception {
        assertTrue(Files.isDirectory(Path.of("/sys/devices/system/node/node1")),
                "one NUMA node: run this test in run-in-guest --numa (tag numa)");
        BitSet node0 = ThreadAffinity.cpusOfNode(0);
        try (ThreadAffinity confined = ThreadAffinity.confine(node0)) {
            assertEquals(node0, ThreadAffinity.current(), "the test thread runs on node 0 only");
            steadyWorkingSet();
        }
    }

    private static void steadyWorkingSet() throws Exception {
        AtomicReference<UmmunotifyInvalidationSource> filteredSource = new AtomicReference<>();
        long migratedBefore = vmstat("numa_pages_migrated");
        long migrationFailuresBefore = vmstat("pgmigrate_fail");
        long pteUpdatesBefore = vmstat("numa_pte_updates");
        long startNanos = System.nanoTime();
        long rounds = 0;
        CacheStats with;
        CacheStats without;
        try (RegistrationCache filtered = CacheMode.UMMUNOTIFY.open(
                        guest.domain().registrar(), CAPACITY, filteredSource::set);
                RegistrationCache unfiltered = CacheMode.UMMUNOTIFY_EVERY_INVALIDATION.open(
                        guest.domain().registrar(), CAPACITY);
                Worker a = guest.worker(filtered, GuestFixture.single(BUFFER, BUFFERS,
                        EnumSet.noneOf(ChurnKind.class)));
                Worker b = guest.worker(unfiltered, GuestFixture.single(BUFFER, BUFFERS,
                        EnumSet.noneOf(ChurnKind.class)))) {
            assertTrue(filtered.stats().skipsSamePageInvalidations(),
                    "the module agreed to UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES");
            assertEquals(false, unfiltered.stats().skipsSamePageInvalidations());
            while (unfiltered.stats().invalidationsReceived() < SCANS_SEEN) {
                if (System.nanoTime() - startNanos > HANG_GUARD.toNanos()) {
                    fail(String.format(Locale.ROOT, "after %s (a bound against a guest without"
                            + " NUMA balancing) the cache without the filter had received %d of"
                            + " %d invalidations in %d rounds; numa_pte_updates grew by %d",
                            HANG_GUARD, unfiltered.stats().invalidationsReceived(), SCANS_SEEN,
                            rounds, vmstat("numa_pte_updates") - pteUpdatesBefore));
                }
                for (int buffer = 0; buffer < BUFFERS; buffer++) {
                    transferBoth(a, buffer);
                    transferBoth(b, buffer);
                }
                rounds++;
            }
            assertEquals(0, a.totals().corrupted(), a.firstCorruption());
            assertEquals(0, b.totals().corrupted(), b.firstCorruption());
            with = filtered.stats();
            without = unfiltered.stats();
            long skipped = filteredSource.get().invalidationsFilteredByKernel();
            double minutes = (System.nanoTime() - startNanos) / 60e9;
            System.out.printf(Locale.ROOT, "NUMA balancing, %d rounds of %d buffers in %.1f min,"
                    + " numa_pte_updates +%d:%n  with the filter:    %d invalidations, %d"
                    + " filtered by the kernel (%.1f/min), hit rate %.1f%%, %d registrations%n"
                    + "  without the filter: %d invalidations (%.1f/min), hit rate %.1f%%, %d"
                    + " registrations%n  pages migrated meanwhile (any process): %d, failed"
                    + " migrations: %d%n", rounds, BUFFERS, minutes,
                    vmstat("numa_pte_updates") - pteUpdatesBefore, with.invalidationsReceived(),
                    skipped, skipped / minutes, hitRate(with), with.registerCalls(),
                    without.invalidationsReceived(), without.invalidationsReceived() / minutes,
                    hitRate(without), without.registerCalls(),
                    vmstat("numa_pages_migrated") - migratedBefore,
                    vmstat("pgmigrate_fail") - migrationFailuresBefore);
            assertTrue(skipped >= 1, "the kernel filtered the scans out: " + skipped);
        }
        assertEquals(0, with.invalidationsReceived(), "memory that did not change: " + with);
        assertEquals(BUFFERS, with.registerCalls(), "one registration per buffer: " + with);
        assertTrue(without.registerCalls() > BUFFERS, "the scans cost re-registrations: "
                + without);
        assertTrue(hitRate(without) < hitRate(with), "the hit rate of the cache without the"
                + " filter decays: " + hitRate(without) + " vs " + hitRate(with));
    }

    /** One checked RDMA WRITE and one checked RDMA READ of the whole buffer. */
    private static void transferBoth(Worker worker, int buffer) throws Exception {
        assertTrue(worker.write(buffer, 0, BUFFER), () -> "write: " + worker.firstCorruption());
        assertTrue(worker.read(buffer, 0, BUFFER), () -> "read: " + worker.firstCorruption());
    }

    private static double hitRate(CacheStats stats) {
        long acquires = stats.hits() + stats.misses();
        return acquires == 0 ? 0 : 100.0 * stats.hits() / acquires;
    }

    private static long vmstat(String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/vmstat"))) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        return 0;
    }
}
