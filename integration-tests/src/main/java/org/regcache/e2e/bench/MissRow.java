package org.regcache.e2e.bench;

/**
 * The miss figures of one buffer size: the median time of a munmap + mmap of the buffer at the
 * same address followed by DiSNI's regMr + deregMr, and of the same munmap + mmap followed by a
 * cache acquire + release, a miss: the cache drains the INVAL event, unwatches and deregisters
 * the old registration (freeing the pages the munmap left pinned), registers the range again
 * and watches it. See {@link MissBench} for why the munmap is timed on both sides.
 *
 * @param size          buffer size in bytes
 * @param registerNanos munmap + mmap, regMr + deregMr, median nanoseconds
 * @param missNanos     munmap + mmap, acquire + release (a miss), median nanoseconds
 * @param regMrNanos    regMr alone, median nanoseconds
 * @param deregMrNanos  deregMr alone, median nanoseconds
 * @param drainNanos    the cache's drain after the munmap (INVAL read, UNREGISTER, deregMr
 *                      of the old registration), median nanoseconds
 * @param reregisterNanos the miss proper (REGISTER, regMr, index and Caffeine), median
 *                      nanoseconds
 * @param syscalls      the system calls on /dev/ummunotify per miss of this size, counted in
 *                      a run of their own (not the timed one), or why not
 */
public record MissRow(long size, double registerNanos, double missNanos, double regMrNanos,
        double deregMrNanos, double drainNanos, double reregisterNanos,
        DeviceSyscalls syscalls) {

    /** This row with {@code counted} as its system calls. */
    public MissRow withSyscalls(DeviceSyscalls counted) {
        return new MissRow(size, registerNanos, missNanos, regMrNanos, deregMrNanos, drainNanos,
                reregisterNanos, counted);
    }

    /** What a miss costs in units of regMr + deregMr (goal: at most 1.2). */
    public double ratio() {
        return missNanos / registerNanos;
    }
}
