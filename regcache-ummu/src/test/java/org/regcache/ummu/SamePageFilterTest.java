package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.regcache.api.Access;
import org.regcache.api.CacheStats;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;

/**
 * UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES seen from the cache: what the kernel agreed to is what
 * {@link CacheStats#skipsSamePageInvalidations()} says; with it, invalidations that keep the
 * pages cost no re-registration, while those that replace pages still do.
 */
class SamePageFilterTest {
    static final long PAGE = 4096;
    static final long BASE = 0x40_0000;
    static final Set<Access> NONE = EnumSet.noneOf(Access.class);

    final FakeRegistrar registrar = new FakeRegistrar();

    RegistrationCache cache(FakeUmmunotifyDevice device) {
        return RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> new UmmunotifyInvalidationSource(device, false))
                .maxPinnedBytes(1L << 30).build();
    }

    /** Acquires [BASE, BASE + 16 pages) once per protection change, {@code changes} times. */
    static Registration churnProtections(RegistrationCache cache, FakeUmmunotifyDevice device,
            int changes) throws Exception {
        Registration first;
        try (RegistrationHandle h = cache.acquire(BASE, 16 * PAGE, NONE)) {
            first = h.registration();
        }
        for (int i = 0; i < changes; i++) {
            device.keepPages(BASE + (i % 16) * PAGE, BASE + (i % 16 + 1) * PAGE);
            try (RegistrationHandle h = cache.acquire(BASE, 16 * PAGE, NONE)) {
                h.registration();
            }
        }
        return first;
    }

    @Test
    void withTheFeatureProtectionChangesKeepTheRegistration() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(true);
        try (RegistrationCache cache = cache(device)) {
            Registration first = churnProtections(cache, device, 100);
            try (RegistrationHandle h = cache.acquire(BASE, 16 * PAGE, NONE)) {
                assertSame(first, h.registration());
            }
            CacheStats stats = cache.stats();
            assertTrue(stats.skipsSamePageInvalidations(), stats.toString());
            assertEquals(1, stats.registerCalls());
            assertEquals(101, stats.hits());
            assertEquals(0, stats.invalidationsReceived());
        }
    }

    @Test
    void theKernelsCountOfFilteredInvalidationsIsReadFromFdinfo() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(true);
        UmmunotifyInvalidationSource source = new UmmunotifyInvalidationSource(device, false);
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .invalidationSource(() -> source).maxPinnedBytes(1L << 30).build()) {
            churnProtections(cache, device, 7);
            assertEquals(7, source.invalidationsFilteredByKernel());
        }
        assertEquals(-1, source.invalidationsFilteredByKernel()); // closed
    }

    @Test
    void withoutTheFeatureEveryProtectionChangeCostsARegistration() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false);
        try (RegistrationCache cache = cache(device)) {
            churnProtections(cache, device, 100);
            CacheStats stats = cache.stats();
            assertFalse(stats.skipsSamePageInvalidations(), stats.toString());
            assertEquals(101, stats.registerCalls());
            assertEquals(0, stats.hits());
            assertEquals(100, stats.invalidationsReceived());
        }
    }

    @Test
    void withTheFeatureAChangeOfPagesIsStillReported() throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(true);
        try (RegistrationCache cache = cache(device)) {
            Registration first = churnProtections(cache, device, 10);
            device.invalidate(BASE + 3 * PAGE, BASE + 4 * PAGE); // munmap, MADV_DONTNEED...
            try (RegistrationHandle h = cache.acquire(BASE, 16 * PAGE, NONE)) {
                assertNotSame(first, h.registration());
            }
            assertEquals(2, cache.stats().registerCalls());
            assertEquals(1, cache.stats().invalidationsReceived());
        }
    }

    @Test
    void theSourceSaysWhatTheDeviceAgreedTo() {
        for (boolean agreed : new boolean[] {false, true}) {
            UmmunotifyInvalidationSource source =
                    new UmmunotifyInvalidationSource(new FakeUmmunotifyDevice(agreed), false);
            assertEquals(agreed, source.skipsSamePageInvalidations());
            assertEquals(agreed, source.toString().contains("skips same-page invalidations"),
                    source.toString());
        }
    }

    @Test
    void anOlderModuleAnswersWithoutTheFeatureAndIsUsedAsItIs() {
        int asked = UmmunotifyAbi.FEATURE_SKIP_SAME_PAGES;
        assertEquals(0, NativeUmmunotifyDevice.checkAgreed("/dev/ummunotify", asked, 0));
        assertEquals(asked, NativeUmmunotifyDevice.checkAgreed("/dev/ummunotify", asked, asked));
    }

    @Test
    void aFeatureThatWasNotAskedForIsRefused() {
        UmmunotifyException e = assertThrows(UmmunotifyException.class,
                () -> NativeUmmunotifyDevice.checkAgreed("/dev/ummunotify", 0,
                        UmmunotifyAbi.FEATURE_SKIP_SAME_PAGES));
        assertTrue(e.getMessage().contains("granted features 0x1 that were not requested"),
                e.getMessage());
    }
}
