package org.regcache.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One registration made by {@link CachingRegistrationCache}, with its life cycle in a single
 * atomic state word so that pinning is one CAS and deregistration happens exactly once.
 *
 * <p>State word: {@link #DETACHED} (the entry left the cache: lookups skip it, and whoever sees
 * it reach zero references deregisters it), {@link #UNTRACKED} (Caffeine chose it as a victim
 * while it was in use; it stays cached and is offered to Caffeine again at its last release),
 * {@link #INDEXED} (counted among the live entries of the index), and the number of live
 * handles in the low bits. Transitions:
 * <pre>
 *   new (refs 1, the creator's) --markIndexed--&gt; INDEXED
 *   tryPin: refs+1 unless DETACHED          unpin: refs-1
 *   tryDetach / tryDetachIfIdle / evictOrUntrack: sets DETACHED once, never cleared
 * </pre>
 * The party that makes the entry DETACHED with zero references, or that drops the last
 * reference of a DETACHED entry, owns its deregistration.
 */
final class CacheEntry {
    static final int DETACHED = 1 << 31;
    static final int UNTRACKED = 1 << 30;
    static final int INDEXED = 1 << 29;
    static final int REFS = INDEXED - 1;
    /** Returned by the detach operations when this call did not detach the entry. */
    static final int NOT_DETACHED = -1;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(CacheEntry.class, "state", int.class);
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

    /** Set by the creator before the entry is published in the index; null until registered. */
    Registration registration;
    /** Rights of {@link #registration}; set with it. */
    int accessMask;
    /** Whether the detacher (rather than the last release) deregisters; set before unlinking. */
    boolean deregisterOnUnlink;

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    CacheEntry(long cookie, long start, long end, int weight, boolean watched, int initialState) {
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

    int state() {
        return (int) STATE.getVolatile(this);
    }

    static int refs(int state) {
        return state & REFS;
    }

    static boolean isDetached(int state) {
        return (state & DETACHED) != 0;
    }

    boolean isDetached() {
        return isDetached(state());
    }

    /** Whether this live-or-not entry covers [address, end) with rights {@code mask}. */
    boolean covers(long address, long end, int mask) {
        return start <= address && end <= this.end && AccessMask.satisfies(accessMask, mask);
    }

    /** Adds a reference unless the entry is detached. */
    boolean tryPin() {
        for (;;) {
            int s = state();
            if (isDetached(s)) {
                return false;
            }
            if (refs(s) == REFS) {
                throw new IllegalStateException("more than " + REFS
                        + " live handles on one registration");
            }
            if (STATE.weakCompareAndSet(this, s, s + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference and returns the new state. */
    int unpin() {
        int previous = (int) STATE.getAndAdd(this, -1);
        if (refs(previous) == 0) {
            throw new IllegalStateException("reference count underflow on entry " + cookie);
        }
        return previous - 1;
    }

    /** Marks the entry as counted in the index, unless it was detached meanwhile. */
    boolean markIndexed() {
        for (;;) {
            int s = state();
            if (isDetached(s)) {
                return false;
            }
            if (STATE.weakCompareAndSet(this, s, s | INDEXED)) {
                return true;
            }
        }
    }

    /** Detaches the entry in whatever use; returns the previous state or NOT_DETACHED. */
    int tryDetach() {
        for (;;) {
            int s = state();
            if (isDetached(s)) {
                return NOT_DETACHED;
            }
            if (STATE.weakCompareAndSet(this, s, s | DETACHED)) {
                return s;
            }
        }
    }

    /** Detaches the entry only if no handle holds it; returns the previous state or NOT_DETACHED. */
    int tryDetachIfIdle() {
        for (;;) {
            int s = state();
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
    int evictOrUntrack() {
        for (;;) {
            int s = state();
            if (isDetached(s)) {
                return NOT_DETACHED;
            }
            int next = refs(s) == 0 ? s | DETACHED : s | UNTRACKED;
            if (STATE.weakCompareAndSet(this, s, next)) {
                return refs(s) == 0 ? s : NOT_DETACHED;
            }
        }
    }

    /** Clears UNTRACKED if the entry is idle and live; true when the caller must re-offer it. */
    boolean clearUntrackedIfIdle() {
        for (;;) {
            int s = state();
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
                + Long.toHexString(end) + "), state=" + Integer.toHexString(state()) + "}";
    }
}
