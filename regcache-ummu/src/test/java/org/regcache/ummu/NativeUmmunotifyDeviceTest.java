package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.RegistrationCache;
import org.regcache.ummu.internal.LibC;

/** The native binding's failures on a host without the device: loud, with errno and remedy. */
class NativeUmmunotifyDeviceTest {

    @Test
    void missingDeviceNamesTheModuleAndTheReadme() {
        UmmunotifyException e = assertThrows(UmmunotifyException.class,
                () -> NativeUmmunotifyDevice.open("/nonexistent/ummunotify"));
        assertEquals(LibC.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("ENOENT (2"), e.getMessage());
        assertTrue(e.getMessage().contains("modprobe ummunotify, see README"), e.getMessage());
    }

    @Test
    void buildingTheUmmunotifyCacheWithoutTheDeviceFailsLoudly() {
        UmmunotifyException e = assertThrows(UmmunotifyException.class, () ->
                RegistrationCache.builder().registrar(new FakeRegistrar())
                        .maxPinnedBytes(1 << 20)
                        .invalidationSource(() -> UmmunotifyInvalidationSource.open(
                                Path.of("/nonexistent/ummunotify"), false))
                        .build());
        assertTrue(e.getMessage().contains("module not loaded"), e.getMessage());
    }

    @Test
    void otherFilesAreRecognisedAsNotUmmunotify() {
        UmmunotifyException e = assertThrows(UmmunotifyException.class,
                () -> NativeUmmunotifyDevice.open("/dev/null"));
        assertEquals(LibC.ENOTTY, e.errno());
        assertTrue(e.getMessage().contains("/dev/null is not an ummunotify device"),
                e.getMessage());
    }

    @Test
    void permissionProblemsPointAtTheUdevRule() {
        UmmunotifyException e = NativeUmmunotifyDevice.openFailure("/dev/ummunotify",
                LibC.EACCES, null);
        assertTrue(e.getMessage().contains("EACCES"), e.getMessage());
        assertTrue(e.getMessage().contains("kernel/udev/90-ummunotify.rules"), e.getMessage());
    }

    @Test
    void reportAtEndIsAlwaysAskedForAndAnOlderModuleMayAnswerWithoutIt() {
        int both = UmmunotifyAbi.FEATURE_REPORT_AT_END | UmmunotifyAbi.FEATURE_SKIP_SAME_PAGES;
        int all = both | UmmunotifyAbi.FEATURE_EVENT_RING;
        assertEquals(all, NativeUmmunotifyDevice.requestedFeatures(true, true));
        assertEquals(both, NativeUmmunotifyDevice.requestedFeatures(true, false));
        assertEquals(UmmunotifyAbi.FEATURE_REPORT_AT_END,
                NativeUmmunotifyDevice.requestedFeatures(false, false));
        assertEquals(0, NativeUmmunotifyDevice.checkAgreed("/dev/ummunotify", all, 0));
    }

    @Test
    void counterPageReadsWhatWasPublished() {
        Memory page = new Memory(64);
        page.clear();
        CounterPage counter = new CounterPage(page);
        assertEquals(0, counter.getAcquire());
        counter.setRelease(0x1234_5678_9abcL);
        assertEquals(0x1234_5678_9abcL, counter.getAcquire());
        assertEquals(0x1234_5678_9abcL, page.getLong(0));
    }
}
