package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.regcache.api.Access;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;
import org.regcache.ummu.internal.LibC;

/**
 * The cache on the real /dev/ummunotify (inside the QEMU guest): every way of changing a
 * mapping makes the next acquire miss, and a racing acquirer never sees an old generation.
 * Run by src/test/guest/run-guest-tests inside integration-tests/vm/run-in-guest ({@code mvn -B
 * -q -pl regcache-api,regcache-ummu -am -P guest verify}); skipped where the device does not
 * exist.
 */
class UmmunotifyGuestIT {
    private static final long PAGE = 4096;
    /** Acquires of the racing test, at least; it goes on until the remaps below happened. */
    private static final int RACING_ACQUIRES = 20_000;
    /** Remaps the racing acquirer must have run against (each invalidates a cached page). */
    private static final long RACING_REMAPS = 2_000;
    /** Only catches a hang: generous for a TCG guest on a busy machine (load 10). */
    private static final long HANG_MINUTES = 10;
    private static final Set<Access> RIGHTS = EnumSet.of(Access.LOCAL_WRITE);

    private final FakeRegistrar registrar = new FakeRegistrar();
    private RegistrationCache cache;
    private UmmunotifyInvalidationSource source;

    @BeforeEach
    void openDevice() {
        assumeTrue(Files.exists(Path.of("/dev/ummunotify")), "no /dev/ummunotify here");
        cache = RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> {
                    source = UmmunotifyInvalidationSource.open();
                    return source;
                })
                .maxPinnedBytes(1L << 31).maxEntries(200_000).build();
    }

    @AfterEach
    void closeCache() {
        if (cache != null) {
            cache.close();
            assertEquals(0, registrar.live.size(), "leaked registrations");
            assertEquals("[]", registrar.violations.toString());
        }
    }

    /** Maps 16 pages, caches them, applies {@code change}, expects a miss on [offset, +len). */
    private void changeCausesMiss(long offset, long length, LongConsumer change)
            throws Exception {
        long base = LibC.mapAnonymous(16 * PAGE);
        new Pointer(base).setMemory(0, 16 * PAGE, (byte) 1);
        Registration old;
        try (RegistrationHandle h = cache.acquire(base, 16 * PAGE, RIGHTS)) {
            old = h.registration();
        }
        try (RegistrationHandle h = cache.acquire(base + offset, length, RIGHTS)) {
            assertSame(old, h.registration(), "hit before the change");
        }
        change.accept(base);
        try (RegistrationHandle h = cache.acquire(base + offset, length, RIGHTS)) {
            assertNotSame(old, h.registration(), "miss after the change");
        }
        assertEquals(2, registrar.registers.get());
        assertTrue(cache.stats().invalidationsReceived() >= 1);
        LibC.munmap(new Pointer(base), 16 * PAGE);
    }

    @Test
    void munmapCausesAMiss() throws Exception {
        changeCausesMiss(0, PAGE, base -> {
            LibC.munmap(new Pointer(base), 16 * PAGE);
            LibC.mapAnonymousAt(base, 16 * PAGE);
        });
    }

    @Test
    void aReusedKernelRegistrationReportsTheNextMunmapToo() throws Exception {
        int rounds = 4;
        long base = LibC.mapAnonymous(4 * PAGE);
        Registration previous = null;
        for (int round = 0; round < rounds; round++) {
            new Pointer(base).setMemory(0, 4 * PAGE, (byte) round);
            try (RegistrationHandle h = cache.acquire(base, 4 * PAGE, RIGHTS)) {
                assertNotSame(previous, h.registration(), "miss after munmap, round " + round);
                previous = h.registration();
            }
            LibC.munmap(new Pointer(base), 4 * PAGE);
            LibC.mapAnonymousAt(base, 4 * PAGE);
        }
        assertEquals(rounds, registrar.registers.get());
        assertEquals(rounds - 1, source.reusedRegistrations(),
                "each miss watched its range with the kernel registration of the one before");
        assertEquals(1, registrations(), "one kernel registration all along");
        LibC.munmap(new Pointer(base), 4 * PAGE);
    }

    @Test
    void partialMunmapCausesAMissOnTheWholeRegistration() throws Exception {
        changeCausesMiss(0, PAGE, base -> {
            LibC.munmap(new Pointer(base + 8 * PAGE), PAGE);
            LibC.mapAnonymousAt(base + 8 * PAGE, PAGE);
        });
    }

    @Test
    void mremapCausesAMiss() throws Exception {
        changeCausesMiss(2 * PAGE, PAGE, base -> {
            long other = LibC.mapAnonymous(4 * PAGE);
            LibC.mremap(new Pointer(other), 4 * PAGE, 4 * PAGE,
                    LibC.MREMAP_MAYMOVE | LibC.MREMAP_FIXED, new Pointer(base));
        });
    }

    @Test
    void madviseDontneedCausesAMiss() throws Exception {
        changeCausesMiss(4 * PAGE, 2 * PAGE, base ->
                LibC.madvise(new Pointer(base + 4 * PAGE), 2 * PAGE,
                        LibC.MADV_DONTNEED));
    }

    @Test
    void mapFixedReplacementCausesAMiss() throws Exception {
        changeCausesMiss(15 * PAGE, PAGE, base -> LibC.mapAnonymousAt(base + 12 * PAGE,
                4 * PAGE));
    }

    @Test
    void acquireRacingWithRemapsNeverSeesAnOldGeneration() throws Exception {
        int pages = 8;
        long base = LibC.mapAnonymous(pages * PAGE);
        for (int p = 0; p < pages; p++) {
            new Pointer(base + p * PAGE).setLong(0, 0);
        }
        // the "registration" records the generation stored in its first page
        registrar.pinner = (address, length) -> readThroughPageTables(address);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong remaps = new AtomicLong();
        List<String> stale = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> remapper = pool.submit(() -> {
                long generation = 0;
                long spare = LibC.mapAnonymous(PAGE);
                while (!stop.get()) {
                    int p = (int) (generation % pages);
                    generation++;
                    new Pointer(spare).setLong(0, generation);
                    // atomically replace page p by a page already holding the new generation
                    LibC.mremap(new Pointer(spare), PAGE, PAGE,
                            LibC.MREMAP_MAYMOVE | LibC.MREMAP_FIXED,
                            new Pointer(base + p * PAGE));
                    spare = LibC.mapAnonymous(PAGE);
                    remaps.incrementAndGet();
                }
                return null;
            });
            Future<?> acquirer = pool.submit(() -> {
                // bounded by work: enough acquires, and enough remaps raced against them
                for (int i = 0; i < RACING_ACQUIRES || remaps.get() < RACING_REMAPS; i++) {
                    long page = base + (i % pages) * PAGE;
                    long before = new Pointer(page).getLong(0);
                    try (RegistrationHandle h = cache.acquire(page, PAGE, RIGHTS)) {
                        long pinned = (Long) h.registration().nativeRegistration();
                        if (pinned < before) {
                            stale.add("page " + (i % pages) + ": generation " + pinned
                                    + " after " + before);
                        }
                    }
                }
                return null;
            });
            awaitOrFail(acquirer, () -> "the acquirer (" + RACING_ACQUIRES + " acquires, "
                    + RACING_REMAPS + " remaps raced against; " + remaps.get() + " remaps)");
            stop.set(true);
            awaitOrFail(remapper, () -> "the remapper, told to stop");
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertEquals("[]", stale.toString());
        assertTrue(cache.stats().invalidationsReceived() > 0);
        LibC.munmap(new Pointer(base), pages * PAGE);
    }

    /**
     * Reads the long at {@code address} as a NIC registration pins it: through the page tables
     * (/proc/self/mem reads with get_user_pages, as ibv_reg_mr pins), never through this CPU's
     * TLB. The kernel flushes other CPUs' TLBs after the notifier's invalidate_range_end, so a
     * plain load right after a REGISTER that came after range_end may still see the page the
     * remap is replacing; a registration made then would be stale without any event, but only
     * in this test's imitation of a NIC: pinning takes the mmap lock or finds the PTE cleared.
     */
    private static long readThroughPageTables(long address) {
        try (RandomAccessFile mem = new RandomAccessFile("/proc/self/mem", "r")) {
            mem.seek(address);
            return Long.reverseBytes(mem.readLong());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for {@code task}; fails naming it if it has not finished within the hang bound. */
    private static void awaitOrFail(Future<?> task, Supplier<String> what) throws Exception {
        try {
            task.get(HANG_MINUTES, TimeUnit.MINUTES);
        } catch (TimeoutException e) {
            fail(what.get() + " did not finish within " + HANG_MINUTES + " minutes (the bound"
                    + " against hangs)");
        }
    }

    @Test
    void hundredThousandLiveEntriesAndOneInvalidation() throws Exception {
        int entries = 100_000;
        long base = LibC.mapAnonymous(entries * PAGE);
        for (int i = 0; i < entries; i++) {
            cache.acquire(base + i * PAGE, PAGE, RIGHTS).close();
        }
        assertEquals(entries, cache.stats().pinnedEntries());
        assertEquals(entries, registrations(), "one kernel registration per entry");
        LibC.madvise(new Pointer(base + 5000 * PAGE), PAGE, LibC.MADV_DONTNEED);
        int before = registrar.registers.get();
        cache.acquire(base + 4999 * PAGE, PAGE, RIGHTS).close();
        cache.acquire(base + 5001 * PAGE, PAGE, RIGHTS).close();
        assertEquals(before, registrar.registers.get(), "neighbours still cached");
        cache.acquire(base + 5000 * PAGE, PAGE, RIGHTS).close();
        assertEquals(before + 1, registrar.registers.get(), "the changed page misses");
        assertEquals(1, cache.stats().evictions(org.regcache.api.EvictionCause.INVALIDATION));
        LibC.munmap(new Pointer(base), entries * PAGE);
    }

    /**
     * The real module's event ring is in use: the same-address misses of {@link
     * #aReusedKernelRegistrationReportsTheNextMunmapToo} take their events from the ring, with no
     * read(), and the kernel agrees (fdinfo): a ring of {@value
     * NativeUmmunotifyDevice#RING_ENTRIES} entries, every entry written consumed, nothing
     * queued for read().
     */
    @Test
    void drainsTakeTheEventsFromTheRealModulesRingWithoutARead() throws Exception {
        int rounds = 8;
        long base = LibC.mapAnonymous(4 * PAGE);
        for (int round = 0; round < rounds; round++) {
            new Pointer(base).setMemory(0, 4 * PAGE, (byte) round);
            cache.acquire(base, 4 * PAGE, RIGHTS).close();
            LibC.munmap(new Pointer(base), 4 * PAGE);
            LibC.mapAnonymousAt(base, 4 * PAGE);
        }
        cache.acquire(base, 4 * PAGE, RIGHTS).close(); // drains the last munmap's event
        org.regcache.api.CacheStats stats = cache.stats();
        assertTrue(stats.eventRingInUse(), stats.toString());
        assertEquals(0, stats.drainsWithRead(), "no read(): " + stats);
        assertTrue(stats.drainsFromRing() >= rounds, stats.toString());
        assertEquals(rounds + 1, registrar.registers.get(), "each munmap made a miss");
        assertEquals(NativeUmmunotifyDevice.RING_ENTRIES, fdinfo("ring_entries"));
        assertTrue(fdinfo("ring_head") >= rounds, "an entry per munmap at least");
        assertEquals(fdinfo("ring_head"), fdinfo("ring_tail"), "every entry consumed");
        assertEquals(0, fdinfo("queued"), "nothing for read()");
        LibC.munmap(new Pointer(base), 4 * PAGE);
    }

    /**
     * One munmap() hitting more registrations than the ring holds: the rest are queued for
     * read() (OVERFLOW), and one drain delivers all of them, from the ring and read().
     */
    @Test
    void anOverflowingInvalidationIsDeliveredWholeFromTheRingAndRead() throws Exception {
        int entries = NativeUmmunotifyDevice.RING_ENTRIES + 1000;
        long base = LibC.mapAnonymous(2L * entries * PAGE);
        new Pointer(base).setMemory(0, 2L * entries * PAGE, (byte) 1);
        for (int i = 0; i < entries; i++) {
            cache.acquire(base + 2L * i * PAGE, PAGE, RIGHTS).close();
        }
        LibC.madvise(new Pointer(base), 2L * entries * PAGE, LibC.MADV_DONTNEED);
        cache.acquire(base, PAGE, RIGHTS).close(); // drains
        org.regcache.api.CacheStats stats = cache.stats();
        assertEquals(entries, stats.evictions(org.regcache.api.EvictionCause.INVALIDATION),
                stats.toString());
        assertEquals(1, stats.drainsWithRead(), "the overflow read(): " + stats);
        assertEquals(0, fdinfo("queued"), "read() emptied the queue");
        LibC.munmap(new Pointer(base), 2L * entries * PAGE);
    }

    /** Asked not to use the ring, the source read()s on the real module: the fallback path. */
    @Test
    void withoutTheRingDrainsReadTheEvents() throws Exception {
        cache.close();
        cache = RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> {
                    source = UmmunotifyInvalidationSource.open(
                            Path.of(UmmunotifyAbi.DEVICE_PATH), false, true, false);
                    return source;
                })
                .maxPinnedBytes(1L << 31).build();
        long base = LibC.mapAnonymous(4 * PAGE);
        new Pointer(base).setMemory(0, 4 * PAGE, (byte) 1);
        cache.acquire(base, 4 * PAGE, RIGHTS).close();
        LibC.madvise(new Pointer(base), 4 * PAGE, LibC.MADV_DONTNEED);
        cache.acquire(base, 4 * PAGE, RIGHTS).close();
        org.regcache.api.CacheStats stats = cache.stats();
        assertTrue(!stats.eventRingInUse() && stats.drainsFromRing() == 0
                && stats.drainsWithRead() == 1, stats.toString());
        assertEquals(0, fdinfo("ring_entries"));
        LibC.munmap(new Pointer(base), 4 * PAGE);
    }

    /** The "registrations:" line of the device file's fdinfo. */
    private static long registrations() throws Exception {
        return fdinfo("registrations");
    }

    /** The decimal value of line {@code name} of the (only) device file's fdinfo. */
    private static long fdinfo(String name) throws Exception {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                Path target;
                try {
                    target = Files.readSymbolicLink(fd);
                } catch (java.io.IOException gone) {
                    continue;
                }
                if (target.toString().equals("/dev/ummunotify")) {
                    for (String line : Files.readAllLines(
                            Path.of("/proc/self/fdinfo").resolve(fd.getFileName()))) {
                        if (line.startsWith(name + ":")) {
                            return Long.parseLong(line.substring(name.length() + 1).trim());
                        }
                    }
                }
            }
        }
        throw new AssertionError("no /dev/ummunotify descriptor found");
    }
}
