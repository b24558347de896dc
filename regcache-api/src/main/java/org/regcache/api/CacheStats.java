package org.regcache.api;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable snapshot of a {@link RegistrationCache}'s counters, taken by {@link
 * RegistrationCache#stats()}. Counters are monotonic over the cache's life; gauges
 * ({@code pinned*}, {@code detachedInUse*}) describe the moment of the snapshot. Fields are read
 * one after the other without a global lock, so under concurrent use they may disagree slightly
 * with each other (for example {@code hits + misses} may lag the number of acquires by the
 * acquires in flight).
 */
public final class CacheStats {
    private final long hits;
    private final long misses;
    private final long registrations;
    private final long deregistrations;
    private final long invalidationsReceived;
    private final EnumMap<EvictionCause, Long> evictions;
    private final long pinnedBytes;
    private final long pinnedEntries;
    private final long detachedInUseEntries;
    private final long detachedInUseBytes;
    private final boolean skipsSamePageInvalidations;

    /**
     * Creates a snapshot of a cache whose source reports every change (as {@link
     * #CacheStats(long, long, long, long, long, Map, long, long, long, long, boolean)} with
     * {@code false}). Normally only caches call this.
     *
     * @param hits                  acquires satisfied by a cached registration
     * @param misses                acquires that had to register
     * @param registrations         successful registrations
     * @param deregistrations       deregistrations, failed ones included
     * @param invalidationsReceived invalidations delivered by the invalidation source
     * @param evictions             count per cause; a missing cause counts 0
     * @param pinnedBytes           bytes registered and not yet deregistered
     * @param pinnedEntries         registrations not yet deregistered
     * @param detachedInUseEntries  entries that left the cache while in use
     * @param detachedInUseBytes    bytes of those entries
     * @throws IllegalArgumentException when a value is negative
     */
    public CacheStats(long hits, long misses, long registrations, long deregistrations,
            long invalidationsReceived, Map<EvictionCause, Long> evictions, long pinnedBytes,
            long pinnedEntries, long detachedInUseEntries, long detachedInUseBytes) {
        this(hits, misses, registrations, deregistrations, invalidationsReceived, evictions,
                pinnedBytes, pinnedEntries, detachedInUseEntries, detachedInUseBytes, false);
    }

    /**
     * Creates a snapshot, saying whether the cache's invalidation source leaves out changes that
     * keep the pages ({@link InvalidationSource#skipsSamePageInvalidations()}). Normally only
     * caches call this.
     *
     * @param hits                  acquires satisfied by a cached registration
     * @param misses                acquires that had to register
     * @param registrations         successful registrations
     * @param deregistrations       deregistrations, failed ones included
     * @param invalidationsReceived invalidations delivered by the invalidation source
     * @param evictions             count per cause; a missing cause counts 0
     * @param pinnedBytes           bytes registered and not yet deregistered
     * @param pinnedEntries         registrations not yet deregistered
     * @param detachedInUseEntries  entries that left the cache while in use
     * @param detachedInUseBytes    bytes of those entries
     * @param skipsSamePageInvalidations {@link #skipsSamePageInvalidations()}
     * @throws IllegalArgumentException when a value is negative
     */
    public CacheStats(long hits, long misses, long registrations, long deregistrations,
            long invalidationsReceived, Map<EvictionCause, Long> evictions, long pinnedBytes,
            long pinnedEntries, long detachedInUseEntries, long detachedInUseBytes,
            boolean skipsSamePageInvalidations) {
        this.skipsSamePageInvalidations = skipsSamePageInvalidations;
        this.hits = nonNegative("hits", hits);
        this.misses = nonNegative("misses", misses);
        this.registrations = nonNegative("registrations", registrations);
        this.deregistrations = nonNegative("deregistrations", deregistrations);
        this.invalidationsReceived = nonNegative("invalidationsReceived", invalidationsReceived);
        this.evictions = new EnumMap<>(EvictionCause.class);
        for (EvictionCause cause : EvictionCause.values()) {
            long n = evictions.getOrDefault(cause, 0L);
            this.evictions.put(cause, nonNegative("evictions[" + cause + "]", n));
        }
        this.pinnedBytes = nonNegative("pinnedBytes", pinnedBytes);
        this.pinnedEntries = nonNegative("pinnedEntries", pinnedEntries);
        this.detachedInUseEntries = nonNegative("detachedInUseEntries", detachedInUseEntries);
        this.detachedInUseBytes = nonNegative("detachedInUseBytes", detachedInUseBytes);
    }

    private static long nonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
        return value;
    }

    /** {@return the acquires satisfied by a cached registration} */
    public long hits() {
        return hits;
    }

    /** {@return the acquires that had to register (including those that then failed)} */
    public long misses() {
        return misses;
    }

    /**
     * {@return {@code hits / (hits + misses)}, from 0 to 1} It is 1 when there was no acquire
     * yet (nothing missed), as Caffeine's {@code CacheStats.hitRate()}.
     */
    public double hitRate() {
        long requests = hits + misses;
        return requests == 0 ? 1.0 : (double) hits / requests;
    }

    /** {@return the successful calls to {@link Registrar#register}} */
    public long registrations() {
        return registrations;
    }

    /**
     * {@return the calls to {@link Registrar#deregister}, failed ones included} A failed one
     * counts because the registration is gone either way.
     */
    public long deregistrations() {
        return deregistrations;
    }

    /**
     * {@return the invalidations delivered by the invalidation source, for live or dead
     * cookies}
     */
    public long invalidationsReceived() {
        return invalidationsReceived;
    }

    /**
     * {@return the entries that left the cache for {@code cause}}
     *
     * @param cause why they left
     */
    public long evictions(EvictionCause cause) {
        return evictions.get(Objects.requireNonNull(cause, "cause"));
    }

    /** {@return the entries that left the cache for any cause} */
    public long evictionCount() {
        long sum = 0;
        for (long n : evictions.values()) {
            sum += n;
        }
        return sum;
    }

    /**
     * {@return the bytes registered by the cache and not yet deregistered (cached, in use or
     * detached)}
     */
    public long pinnedBytes() {
        return pinnedBytes;
    }

    /** {@return the registrations made by the cache and not yet deregistered} */
    public long pinnedEntries() {
        return pinnedEntries;
    }

    /**
     * {@return the entries that left the cache while in use and wait for their last release}
     */
    public long detachedInUseEntries() {
        return detachedInUseEntries;
    }

    /** {@return the bytes of {@link #detachedInUseEntries()}} */
    public long detachedInUseBytes() {
        return detachedInUseBytes;
    }

    /**
     * {@return whether the cache's invalidation source leaves out changes after which a
     * registered range maps the same pages} Those are mprotect(), NUMA balancing, fork() whose
     * child does not write..., and leaving them out saves re-registrations; see {@link
     * InvalidationSource#skipsSamePageInvalidations()}. A setting, not a counter: {@code false}
     * for an uncached cache and for a source (or kernel module) without the filter.
     */
    public boolean skipsSamePageInvalidations() {
        return skipsSamePageInvalidations;
    }

    /**
     * {@return this snapshot with {@link #skipsSamePageInvalidations()} set to {@code on}}
     *
     * @param on the setting
     */
    public CacheStats withSkipsSamePageInvalidations(boolean on) {
        if (on == skipsSamePageInvalidations) {
            return this;
        }
        return new CacheStats(hits, misses, registrations, deregistrations,
                invalidationsReceived, evictions, pinnedBytes, pinnedEntries,
                detachedInUseEntries, detachedInUseBytes, on);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CacheStats)) {
            return false;
        }
        CacheStats s = (CacheStats) o;
        return hits == s.hits && misses == s.misses && registrations == s.registrations
                && deregistrations == s.deregistrations
                && invalidationsReceived == s.invalidationsReceived
                && evictions.equals(s.evictions) && pinnedBytes == s.pinnedBytes
                && pinnedEntries == s.pinnedEntries
                && detachedInUseEntries == s.detachedInUseEntries
                && detachedInUseBytes == s.detachedInUseBytes
                && skipsSamePageInvalidations == s.skipsSamePageInvalidations;
    }

    @Override
    public int hashCode() {
        return Objects.hash(hits, misses, registrations, deregistrations, invalidationsReceived,
                evictions, pinnedBytes, pinnedEntries, detachedInUseEntries, detachedInUseBytes,
                skipsSamePageInvalidations);
    }

    @Override
    public String toString() {
        return "CacheStats{hits=" + hits + ", misses=" + misses + ", registrations="
                + registrations + ", deregistrations=" + deregistrations
                + ", invalidationsReceived=" + invalidationsReceived + ", evictions=" + evictions
                + ", pinnedBytes=" + pinnedBytes + ", pinnedEntries=" + pinnedEntries
                + ", detachedInUseEntries=" + detachedInUseEntries + ", detachedInUseBytes="
                + detachedInUseBytes + ", skipsSamePageInvalidations="
                + skipsSamePageInvalidations + "}";
    }
}
