package org.regcache.ummu;

/**
 * What the fake driver agreed to, how many registrations the source keeps, and whether it has an
 * event ring: the configurations the cache tests run in. Kept registrations are adopted only
 * with REPORT_AT_END and a positive {@code keptRegistrations} ({@link #adopts()}).
 */
enum DeviceMode {
    /** The current module: REPORT_AT_END agreed; registrations of ended watches re-used. */
    KEPT_WITH_REPORT_AT_END(false, true, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS, 0),
    /** The same, with SKIP_SAME_PAGES: same-page invalidations are not reported. */
    KEPT_WITH_REPORT_AT_END_SKIPPING_SAME_PAGES(true, true,
            UmmunotifyInvalidationSource.KEPT_REGISTRATIONS, 0),
    /** An older module, without REPORT_AT_END: the source keeps nothing though asked to. */
    OLDER_MODULE(false, false, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS, 0),
    /** REPORT_AT_END agreed, but the source told to keep nothing. */
    NONE_KEPT(false, true, 0, 0),
    /**
     * An older module and the source told to keep nothing: REGISTER's in-progress check and
     * the recipient named before it are all that stands between a miss and stale pages.
     */
    OLDER_MODULE_NONE_KEPT(false, false, 0, 0),
    /**
     * The current module with its event ring, as the native device makes it ({@value
     * NativeUmmunotifyDevice#RING_ENTRIES} entries): drains take entries from the ring, and
     * the REPORT_AT_END of an entry consumed during its invalidation.
     */
    RING_KEPT_WITH_REPORT_AT_END(false, true, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS,
            NativeUmmunotifyDevice.RING_ENTRIES),
    /**
     * A ring of {@value #TINY_RING} entries, full most of the time: hits go to read() (OVERFLOW)
     * and to the ring in turn, and a drain mixes both.
     */
    TINY_RING_KEPT_WITH_REPORT_AT_END(false, true,
            UmmunotifyInvalidationSource.KEPT_REGISTRATIONS, DeviceMode.TINY_RING);

    /** The tiny ring's entries. */
    static final int TINY_RING = 4;

    final boolean skipsSamePages;
    final boolean reportsAtEnd;
    final int keptRegistrations;
    /** The event ring's entries; 0: none (read() only). */
    final int ringEntries;

    DeviceMode(boolean skipsSamePages, boolean reportsAtEnd, int keptRegistrations,
            int ringEntries) {
        this.skipsSamePages = skipsSamePages;
        this.reportsAtEnd = reportsAtEnd;
        this.keptRegistrations = keptRegistrations;
        this.ringEntries = ringEntries;
    }

    FakeUmmunotifyDevice device() {
        return new FakeUmmunotifyDevice(skipsSamePages, reportsAtEnd, ringEntries);
    }

    UmmunotifyInvalidationSource source(FakeUmmunotifyDevice device, boolean backgroundDrainer) {
        return new UmmunotifyInvalidationSource(device, backgroundDrainer, keptRegistrations);
    }

    /** Whether the source re-uses registrations of ended watches in this mode. */
    boolean adopts() {
        return reportsAtEnd && keptRegistrations > 0;
    }
}
