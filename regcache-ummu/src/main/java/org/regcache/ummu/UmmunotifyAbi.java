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

    /**
     * {@code UMMUNOTIFY_FEATURE_EVENT_RING}: {@link #SETUP_RING} may make a ring of INVAL events,
     * mapped read-only at {@link #RING_OFFSET}, consumed with loads and one store of a tail word
     * in the caller's memory: no system call. Until it is made, and while it is full, events are
     * queued for read() as before ({@link #RING_OVERFLOW} says so).
     */
    static final int FEATURE_EVENT_RING = 4;

    /**
     * Size of {@code struct ummunotify_ring_setup} (16): {@code __u64 tail; __u32 entries;
     * __u32 reserved}.
     */
    static final int RING_SETUP_SIZE = 16;
    static final int RING_SETUP_TAIL_OFFSET = 0;
    static final int RING_SETUP_ENTRIES_OFFSET = 8;
    /** {@code _IOW('U', 4, struct ummunotify_ring_setup)}. */
    static final long SETUP_RING = IoctlEncoding.iow(MAGIC, 4, RING_SETUP_SIZE);
    /** {@code UMMUNOTIFY_RING_OFFSET}: the mmap offset of the ring (1 MiB). */
    static final long RING_OFFSET = 1L << 20;
    /** {@code UMMUNOTIFY_RING_MIN_ENTRIES}. */
    static final int RING_MIN_ENTRIES = 128;
    /** {@code UMMUNOTIFY_RING_MAX_ENTRIES}. */
    static final int RING_MAX_ENTRIES = 65536;
    /** {@code struct ummunotify_ring}: {@code __u64 head} (entries ever written). */
    static final int RING_HEAD_OFFSET = 0;
    /** {@code struct ummunotify_ring}: {@code __u32 entries}. */
    static final int RING_ENTRIES_OFFSET = 8;
    /** {@code struct ummunotify_ring}: {@code __u32 flags}. */
    static final int RING_FLAGS_OFFSET = 12;
    /** {@code UMMUNOTIFY_RING_OVERFLOW}: events are queued for read(). */
    static final int RING_OVERFLOW = 1;

    /** {@code UMMUNOTIFY_RING_LEN(page_size, entries)}: the control page, then the entries. */
    static long ringLength(long pageSize, int entries) {
        return pageSize + (long) entries * EVENT_SIZE;
    }

    static final int EVENT_TYPE_INVAL = 0;
    static final int EVENT_TYPE_LAST = 1;
    static final int EVENT_FLAG_HINT = 1;

    private UmmunotifyAbi() {
    }
}
