package org.regcache.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One registration made by {@link CachingRegistrationCache}, with its life cycle in a single
 * atomic state word so that pinning is one CAS and deregistration happens exactly once.
 *
 * <p>State word (a {@code long}): {@link #DETACHED} (the entry left the cache: lookups skip it,
 * and whoever sees it reach zero references deregisters it), {@link #UNTRACKED} (Caffeine chose
 * it as a victim while it was in use; it stays cached and is offered to Caffeine again at its
 * last release), {@link #INDEXED} (counted among the live entries of the index), the hits on
 * this entry not yet moved to the {@link StatsRecorder} (bits {@value #HITS_SHIFT} to 60), and
 * the number of live handles in the low bits. Transitions:
 * <pre>
 *   new (refs 1, the creator's) --markIndexed--&gt; INDEXED
 *   tryPin: refs+1 (and hits+1 for a hit) unless DETACHED          unpin: refs-1
 *   tryDetach / tryDetachIfIdle / evictOrUntrack: sets DETACHED once, never cleared
 *   takeHits: hits to 0 (at unlink)    a pin that makes hits reach 2^35 moves 2^35 of them
 * </pre>
 * The party that makes the entry DETACHED with zero references, or that drops the last
 * reference of a DETACHED entry, owns its deregistration.
 *
 * <p>Hits are counted in the pin's own CAS, so that a hit writes nothing shared besides the
 * reference count the contract needs anyway (a shared hit counter was one more atomic on every
 * hit); {@link CachingRegistrationCache} adds up the live entries' counts for a snapshot.
 */
final class CacheEntry {
    static final long DETACHED = 1L << 63;
    static final long UNTRACKED = 1L << 62;
    static final long INDEXED = 1L << 61;
    /** Live handles: up to 2^24 - 1 on one registration. */
    static final long REFS = (1L << 24) - 1;
    static final int HITS_SHIFT = 24;
    /** One hit in the state word. */
    static final long HIT = 1L << HITS_SHIFT;
    /** The hits field: bits 24 to 60 (37 bits). */
    static final long HITS = ((1L << 37) - 1) << HITS_SHIFT;
    /** Hits moved to the recorder at once by the pin that makes the field reach this many. */
    static final long HITS_MOVED_AT = 1L << 35;
    /** Returned by the detach operations when this call did not detach the entry. */
    static final long NOT_DETACHED = -1;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(CacheEntry.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Cookie given to the invalidation source; unique per cache, never reused. */
    final long cookie;
    /** {@link #cookie} boxed once: the key in Caffeine and the cookie map. */
    final Long key;
    /** Page-aligned start of the registered range. */
    final long start;
    /** Page-aligned exclusive end of the registered range. */
    final long end;
    /** Pages, capped at Integer.MAX_VALUE: the Caffeine weight. */
    final int weight;
    /** Whether the range is watched by the invalidation source. */
    final boolean watched;

    /**
     * Set by the creator before the entry is published; null until registered. Published to
     * other threads by the release CAS that inserts the entry in the index (and the release
     * store into the {@link LookupMemo}); read only by threads that found the entry there, that
     * hold a handle on it, or that deregister it after seeing it idle in {@link #state} (whose
     * CASes order the creator's writes before them).
     */
    Registration registration;
    /** Rights of {@link #registration}; written and published with it. */
    int accessMask;
    /**
     * Whether the unlinker (rather than the last release) deregisters. Written by the thread
     * that detached the entry before it queues the entry for unlinking; published to the
     * unlinking thread by the queue ({@code ConcurrentLinkedQueue.offer} happens-before
     * {@code poll}), or written and read by the same thread.
     */
    boolean deregisterOnUnlink;

    @SuppressWarnings("unused") // accessed through STATE
    private volatile long state;

    CacheEntry(long cookie, long start, long end, int weight, boolean watched,
            long initialState) {
        this.cookie = cookie;
        this.key = cookie;
        this.start = start;
        this.end = end;
        this.weight = weight;
        this.watched = watched;
        this.state = initialState;
    }

    long bytes() {
        return end - start;
    }

    long stateVolatile() {
        return (long) STATE.getVolatile(this);
    }

    static int refs(long state) {
        return (int) (state & REFS);
    }

    static long hits(long state) {
        return (state & HITS) >>> HITS_SHIFT;
    }

    static boolean isDetached(long state) {
        return (state & DETACHED) != 0;
    }

    boolean isDetached() {
        return isDetached(stateVolatile());
    }

    /** Whether this live-or-not entry covers [address, end) with rights {@code mask}. */
    boolean covers(long address, long end, int mask) {
        return start <= address && end <= this.end && AccessMask.satisfies(accessMask, mask);
    }

    /**
     * Adds a reference unless the entry is detached, counting a hit if {@code hit}; a full CAS
     * (volatile semantics), so the pinning thread then sees the fields the creator published.
     *
     * @param stats where hits go when this entry's count reaches {@link #HITS_MOVED_AT}
     */
    boolean tryPin(boolean hit, StatsRecorder stats) {
        long add = hit ? HIT + 1 : 1;
        for (;;) {
            long s = stateVolatile();
            if (isDetached(s)) {
                return false;
            }
            if (refs(s) == REFS) {
                throw new IllegalStateException("more than " + REFS
                        + " live handles on one registration");
            }
            if (STATE.weakCompareAndSet(this, s, s + add)) {
                if (hit && hits(s + add) >= HITS_MOVED_AT) {
                    moveHits(stats, HITS_MOVED_AT);
                }
                return true;
            }
        }
    }

    /** Moves {@code n} (or, for {@link Long#MAX_VALUE}, all) hits to {@code stats}. */
    private void moveHits(StatsRecorder stats, long n) {
        stats.moveHits(() -> {
            for (;;) {
                long s = stateVolatile();
                long moved = Math.min(n, hits(s));
                if (moved == 0 || STATE.weakCompareAndSet(this, s, s - moved * HIT)) {
                    return moved;
                }
            }
        });
    }

    /**
     * At unlink (after DETACHED, so no more hits come): moves this entry's hits to stats.
     * Nothing to do when the count is 0: after DETACHED it can only go down.
     */
    void takeHits(StatsRecorder stats) {
        if (hits(stateVolatile()) != 0) {
            moveHits(stats, Long.MAX_VALUE);
        }
    }

    /** Drops a reference and returns the new state. */
    long unpin() {
        long previous = (long) STATE.getAndAdd(this, -1L);
        if (refs(previous) == 0) {
            throw new IllegalStateException("reference count underflow on entry " + cookie);
        }
        return previous - 1;
    }

    /** Marks the entry as counted in the index, unless it was detached meanwhile. */
    boolean markIndexed() {
        for (;;) {
            long s = stateVolatile();
            if (isDetached(s)) {
                return false;
            }
            if (STATE.weakCompareAndSet(this, s, s | INDEXED)) {
                return true;
            }
        }
    }

    /** Detaches the entry in whatever use; returns the previous state or NOT_DETACHED. */
    long tryDetach() {
        for (;;) {
            long s = stateVolatile();
            if (isDetached(s)) {
                return NOT_DETACHED;
            }
            if (STATE.weakCompareAndSet(this, s, s | DETACHED)) {
                return s;
            }
        }
    }

    /** Detaches the entry only if no handle holds it; returns the previous state or NOT_DETACHED. */
    long tryDetachIfIdle() {
        for (;;) {
            long s = stateVolatile();
            if (isDetached(s) || refs(s) != 0) {
                return NOT_DETACHED;
            }
            if (STATE.weakCompareAndSet(this, s, s | DETACHED)) {
                return s;
            }
        }
    }

    /**
     * Caffeine evicted the entry for size. Idle: detach it (returns the previous state).
     * In use: keep it cached, flagged {@link #UNTRACKED} (returns NOT_DETACHED).
     */
    long evictOrUntrack() {
        for (;;) {
            long s = stateVolatile();
            if (isDetached(s)) {
                return NOT_DETACHED;
            }
            long next = refs(s) == 0 ? s | DETACHED : s | UNTRACKED;
            if (STATE.weakCompareAndSet(this, s, next)) {
                return refs(s) == 0 ? s : NOT_DETACHED;
            }
        }
    }

    /** Clears UNTRACKED if the entry is idle and live; true when the caller must re-offer it. */
    boolean clearUntrackedIfIdle() {
        for (;;) {
            long s = stateVolatile();
            if (isDetached(s) || refs(s) != 0 || (s & UNTRACKED) == 0) {
                return false;
            }
            if (STATE.weakCompareAndSet(this, s, s & ~UNTRACKED)) {
                return true;
            }
        }
    }

    @Override
    public String toString() {
        return "CacheEntry{cookie=" + cookie + ", [" + Long.toHexString(start) + ", "
                + Long.toHexString(end) + "), state=" + Long.toHexString(stateVolatile()) + "}";
    }
}
