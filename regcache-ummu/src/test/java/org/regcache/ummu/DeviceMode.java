package org.regcache.ummu;

/**
 * What the fake driver agreed to and how many registrations the source keeps: the
 * configurations the cache tests run in. Kept registrations are adopted only in {@link
 * #KEPT_WITH_REPORT_AT_END} (and {@link #KEPT_WITH_REPORT_AT_END_SKIPPING_SAME_PAGES}).
 */
enum DeviceMode {
    /** The current module: REPORT_AT_END agreed; registrations of ended watches re-used. */
    KEPT_WITH_REPORT_AT_END(false, true, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS),
    /** The same, with SKIP_SAME_PAGES: same-page invalidations are not reported. */
    KEPT_WITH_REPORT_AT_END_SKIPPING_SAME_PAGES(true, true,
            UmmunotifyInvalidationSource.KEPT_REGISTRATIONS),
    /** An older module, without REPORT_AT_END: the source keeps nothing though asked to. */
    OLDER_MODULE(false, false, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS),
    /** REPORT_AT_END agreed, but the source told to keep nothing. */
    NONE_KEPT(false, true, 0),
    /**
     * An older module and the source told to keep nothing: REGISTER's in-progress check and
     * the recipient named before it are all that stands between a miss and stale pages.
     */
    OLDER_MODULE_NONE_KEPT(false, false, 0);

    final boolean skipsSamePages;
    final boolean reportsAtEnd;
    final int keptRegistrations;

    DeviceMode(boolean skipsSamePages, boolean reportsAtEnd, int keptRegistrations) {
        this.skipsSamePages = skipsSamePages;
        this.reportsAtEnd = reportsAtEnd;
        this.keptRegistrations = keptRegistrations;
    }

    FakeUmmunotifyDevice device() {
        return new FakeUmmunotifyDevice(skipsSamePages, reportsAtEnd);
    }

    UmmunotifyInvalidationSource source(FakeUmmunotifyDevice device, boolean backgroundDrainer) {
        return new UmmunotifyInvalidationSource(device, backgroundDrainer, keptRegistrations);
    }

    /** Whether the source re-uses registrations of ended watches in this mode. */
    boolean adopts() {
        return reportsAtEnd && keptRegistrations > 0;
    }
}
