package org.regcache.e2e.bench;

/**
 * The miss figures of one buffer size: the median time of DiSNI's regMr + deregMr of a buffer
 * whose memory was just mapped again, and of a cache acquire + release of the same buffer just
 * after its range was invalidated (munmap + mmap at the same address): the cache drains the
 * INVAL event, unwatches and deregisters the old registration, registers the range again and
 * watches it.
 *
 * @param size          buffer size in bytes
 * @param registerNanos regMr + deregMr, median nanoseconds
 * @param missNanos     acquire + release after an invalidation, median nanoseconds
 */
public record MissRow(long size, double registerNanos, double missNanos) {

    /** What a miss costs in units of regMr + deregMr (goal: at most 1.2). */
    public double ratio() {
        return missNanos / registerNanos;
    }
}
