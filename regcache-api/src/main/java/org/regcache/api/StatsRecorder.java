package org.regcache.api;

import java.util.EnumMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@link CacheStats}. Monotonic counters are {@link LongAdder}s (hits come
 * from many threads at once); gauges are {@link AtomicLong}s so that a snapshot never sees a
 * decrement without its increment.
 */
final class StatsRecorder {
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder registrations = new LongAdder();
    private final LongAdder deregistrations = new LongAdder();
    private final LongAdder invalidationsReceived = new LongAdder();
    private final LongAdder[] evictions = new LongAdder[EvictionCause.values().length];
    private final AtomicLong pinnedBytes = new AtomicLong();
    private final AtomicLong pinnedEntries = new AtomicLong();
    private final AtomicLong detachedInUseEntries = new AtomicLong();
    private final AtomicLong detachedInUseBytes = new AtomicLong();

    StatsRecorder() {
        for (int i = 0; i < evictions.length; i++) {
            evictions[i] = new LongAdder();
        }
    }

    void hit() {
        hits.increment();
    }

    void miss() {
        misses.increment();
    }

    void registered(long bytes) {
        registrations.increment();
        pinnedEntries.incrementAndGet();
        pinnedBytes.addAndGet(bytes);
    }

    void deregistered(long bytes) {
        deregistrations.increment();
        pinnedEntries.decrementAndGet();
        pinnedBytes.addAndGet(-bytes);
    }

    void invalidationReceived() {
        invalidationsReceived.increment();
    }

    void evicted(EvictionCause cause) {
        evictions[cause.ordinal()].increment();
    }

    void detachedInUse(long bytes) {
        detachedInUseEntries.incrementAndGet();
        detachedInUseBytes.addAndGet(bytes);
    }

    void detachedReleased(long bytes) {
        detachedInUseEntries.decrementAndGet();
        detachedInUseBytes.addAndGet(-bytes);
    }

    /**
     * The detached gauges are clamped at 0: a release may decrement them a moment before the
     * detaching thread increments them.
     */
    CacheStats snapshot() {
        EnumMap<EvictionCause, Long> byCause = new EnumMap<>(EvictionCause.class);
        for (EvictionCause cause : EvictionCause.values()) {
            byCause.put(cause, evictions[cause.ordinal()].sum());
        }
        return new CacheStats(hits.sum(), misses.sum(), registrations.sum(),
                deregistrations.sum(), invalidationsReceived.sum(), byCause, pinnedBytes.get(),
                pinnedEntries.get(), Math.max(0, detachedInUseEntries.get()),
                Math.max(0, detachedInUseBytes.get()));
    }
}
