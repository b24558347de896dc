package org.regcache.api;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongSupplier;

/**
 * The counters behind {@link CacheStats}. Monotonic counters are {@link LongAdder}s; gauges are
 * {@link AtomicLong}s so that a snapshot never sees a decrement without its increment.
 *
 * <p>Hits are not counted here on every hit: each {@link CacheEntry} counts its own in the CAS
 * that pins it (no extra atomic on the hot path), and {@link #liveHits} adds up the live
 * entries' counts. An entry's count moves here ({@link #moveHits}) when it is unlinked or grows
 * large. A move holds the read side of {@link #hitMoves} and a snapshot the write side, so a
 * snapshot never sees moved hits twice or not at all: {@link CacheStats#hits()} stays exact
 * and monotonic (it includes every hit that returned before the snapshot began).
 */
final class StatsRecorder {
    private final LongAdder movedHits = new LongAdder();
    private final StampedLock hitMoves = new StampedLock();
    private final LongSupplier liveHits;
    private final LongAdder misses = new LongAdder();
    private final LongAdder registerCalls = new LongAdder();
    private final LongAdder deregisterCalls = new LongAdder();
    private final LongAdder invalidationsReceived = new LongAdder();
    private final LongAdder[] evictions = new LongAdder[EvictionCause.values().length];
    private final AtomicLong pinnedBytes = new AtomicLong();
    private final AtomicLong pinnedEntries = new AtomicLong();
    private final AtomicLong detachedInUseEntries = new AtomicLong();
    private final AtomicLong detachedInUseBytes = new AtomicLong();

    /** A recorder for a cache without entries (every acquire a miss). */
    StatsRecorder() {
        this(() -> 0);
    }

    /** @param liveHits the sum of the hit counts in the state words of the live entries */
    StatsRecorder(LongSupplier liveHits) {
        this.liveHits = liveHits;
        for (int i = 0; i < evictions.length; i++) {
            evictions[i] = new LongAdder();
        }
    }

    /** Moves the hits {@code take} removes from an entry's state word (it returns how many). */
    void moveHits(LongSupplier take) {
        long stamp = hitMoves.readLock();
        try {
            movedHits.add(take.getAsLong());
        } finally {
            hitMoves.unlockRead(stamp);
        }
    }

    private long hits() {
        long stamp = hitMoves.writeLock();
        try {
            return movedHits.sum() + liveHits.getAsLong();
        } finally {
            hitMoves.unlockWrite(stamp);
        }
    }

    void miss() {
        misses.increment();
    }

    void registered(long bytes) {
        registerCalls.increment();
        pinnedEntries.incrementAndGet();
        pinnedBytes.addAndGet(bytes);
    }

    void deregistered(long bytes) {
        deregisterCalls.increment();
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
        CacheStats.Builder snapshot = CacheStats.builder().hits(hits()).misses(misses.sum())
                .registerCalls(registerCalls.sum()).deregisterCalls(deregisterCalls.sum())
                .invalidationsReceived(invalidationsReceived.sum())
                .pinnedBytes(pinnedBytes.get()).pinnedEntries(pinnedEntries.get())
                .detachedInUseEntries(Math.max(0, detachedInUseEntries.get()))
                .detachedInUseBytes(Math.max(0, detachedInUseBytes.get()));
        for (EvictionCause cause : EvictionCause.values()) {
            snapshot.evictions(cause, evictions[cause.ordinal()].sum());
        }
        return snapshot.build();
    }
}
