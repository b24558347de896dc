package org.regcache.ummu;

/**
 * The constants of include/uapi/linux/ummunotify.h, derived the way the header derives them:
 * ioctl numbers from {@link IoctlEncoding} and the structure sizes.
 */
final class UmmunotifyAbi {
    static final String DEVICE_PATH = "/dev/ummunotify";
    static final char MAGIC = 'U';

    /** Size of {@code struct ummunotify_register_ioctl} (32). */
    static final int REGISTER_SIZE = RegisterRegionStruct.SIZE;
    /** Size of {@code struct ummunotify_event} (32). */
    static final int EVENT_SIZE;
    static final int EVENT_TYPE_OFFSET;
    static final int EVENT_FLAGS_OFFSET;
    static final int EVENT_HINT_START_OFFSET;
    static final int EVENT_HINT_END_OFFSET;
    static final int EVENT_COOKIE_COUNTER_OFFSET;

    static {
        EventStruct e = new EventStruct();
        EVENT_SIZE = e.size();
        EVENT_TYPE_OFFSET = e.offsetOf("type");
        EVENT_FLAGS_OFFSET = e.offsetOf("flags");
        EVENT_HINT_START_OFFSET = e.offsetOf("hint_start");
        EVENT_HINT_END_OFFSET = e.offsetOf("hint_end");
        EVENT_COOKIE_COUNTER_OFFSET = e.offsetOf("user_cookie_counter");
    }

    /** {@code _IOWR('U', 1, __u32)}. */
    static final long EXCHANGE_FEATURES = IoctlEncoding.iowr(MAGIC, 1, Integer.BYTES);
    /** {@code _IOW('U', 2, struct ummunotify_register_ioctl)}. */
    static final long REGISTER_REGION = IoctlEncoding.iow(MAGIC, 2, REGISTER_SIZE);
    /** {@code _IOW('U', 3, __u64)}. */
    static final long UNREGISTER_REGION = IoctlEncoding.iow(MAGIC, 3, Long.BYTES);

    /**
     * {@code UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES}: the kernel leaves out invalidations after which
     * a range maps the same pages (protection changes, NUMA balancing's scan, fork()'s
     * write-protection, soft-dirty resets).
     */
    static final int FEATURE_SKIP_SAME_PAGES = 1;

    /**
     * {@code UMMUNOTIFY_FEATURE_REPORT_AT_END}: an invalidation that finds, at its end ({@code
     * invalidate_range_end}), a registration it hit with no event queued (its event was read
     * while the invalidation was still in progress, before the pages had changed) queues an
     * INVAL for it again and moves the counter once more, before the invalidating call
     * returns. So an event read while its invalidation is in progress is always followed by
     * another one after the pages changed, and a registration may be kept and re-used after its
     * event was read (no REGISTER, hence no in-progress check) without missing that
     * invalidation. Invalidations skipped by {@link #FEATURE_SKIP_SAME_PAGES} are not reported
     * at their end either. Without it, the 2010 behaviour: one event per invalidation, at its
     * start.
     */
    static final int FEATURE_REPORT_AT_END = 2;

    static final int EVENT_TYPE_INVAL = 0;
    static final int EVENT_TYPE_LAST = 1;
    static final int EVENT_FLAG_HINT = 1;

    private UmmunotifyAbi() {
    }
}
