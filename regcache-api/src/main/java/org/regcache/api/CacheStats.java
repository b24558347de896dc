package org.regcache.api;

import java.util.EnumMap;
import java.util.Objects;

/**
 * Immutable snapshot of a {@link RegistrationCache}'s counters, taken by {@link
 * RegistrationCache#stats()}. Counters ({@link #hits()}, {@link #misses()}, {@link
 * #registerCalls()}, {@link #deregisterCalls()}, {@link #invalidationsReceived()}, {@link
 * #evictions(EvictionCause)}, {@link #drainsFromRing()}, {@link #drainsWithRead()}) only grow
 * over the cache's life; {@link #minus(CacheStats)} gives
 * what happened between two snapshots. Gauges ({@code pinned*}, {@code detachedInUse*}) describe
 * the moment of the snapshot. Fields are read one after the other without a global lock, so
 * under concurrent use they may disagree slightly with each other (for example {@code hits +
 * misses} may lag the number of acquires by the acquires in flight).
 *
 * <p>Snapshots come from {@link RegistrationCache#stats()}; {@link #builder()} makes others (for
 * an implementation of {@link RegistrationCache}, or a test).
 */
public final class CacheStats {
    private final long hits;
    private final long misses;
    private final long registerCalls;
    private final long deregisterCalls;
    private final long invalidationsReceived;
    private final EnumMap<EvictionCause, Long> evictions;
    private final long pinnedBytes;
    private final long pinnedEntries;
    private final long detachedInUseEntries;
    private final long detachedInUseBytes;
    private final boolean skipsSamePageInvalidations;
    private final boolean eventRingInUse;
    private final long drainsFromRing;
    private final long drainsWithRead;

    /**
     * The builder's values, by name rather than by position (eleven in a row, ten of them
     * longs); a cause not set counts 0.
     *
     * @throws IllegalArgumentException when a value is negative
     */
    private CacheStats(Builder b) {
        this.skipsSamePageInvalidations = b.skipsSamePageInvalidations;
        this.eventRingInUse = b.eventRingInUse;
        this.drainsFromRing = nonNegative("drainsFromRing", b.drainsFromRing);
        this.drainsWithRead = nonNegative("drainsWithRead", b.drainsWithRead);
        this.hits = nonNegative("hits", b.hits);
        this.misses = nonNegative("misses", b.misses);
        this.registerCalls = nonNegative("registerCalls", b.registerCalls);
        this.deregisterCalls = nonNegative("deregisterCalls", b.deregisterCalls);
        this.invalidationsReceived = nonNegative("invalidationsReceived",
                b.invalidationsReceived);
        this.evictions = new EnumMap<>(EvictionCause.class);
        for (EvictionCause cause : EvictionCause.values()) {
            long n = b.evictions.getOrDefault(cause, 0L);
            this.evictions.put(cause, nonNegative("evictions[" + cause + "]", n));
        }
        this.pinnedBytes = nonNegative("pinnedBytes", b.pinnedBytes);
        this.pinnedEntries = nonNegative("pinnedEntries", b.pinnedEntries);
        this.detachedInUseEntries = nonNegative("detachedInUseEntries", b.detachedInUseEntries);
        this.detachedInUseBytes = nonNegative("detachedInUseBytes", b.detachedInUseBytes);
    }

    private static long nonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
        return value;
    }

    /** {@return a builder of a snapshot whose every value is 0 (or false) until set} */
    public static Builder builder() {
        return new Builder();
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

    /**
     * {@return the successful calls to {@link Registrar#register}, over the cache's life} Not
     * the registrations alive now: that is {@link #pinnedEntries()}, which is {@code
     * registerCalls() - deregisterCalls()}. A call that failed threw, and counts only as a
     * {@link #misses() miss}.
     */
    public long registerCalls() {
        return registerCalls;
    }

    /**
     * {@return the calls to {@link Registrar#deregister}, failed ones included, over the cache's
     * life} A failed one counts because the registration is gone either way.
     */
    public long deregisterCalls() {
        return deregisterCalls;
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
     * {@return whether the cache's invalidation source takes invalidations from an event ring it
     * shares with the kernel, so that draining them makes no system call} A setting, not a
     * counter: {@code false} for an uncached cache, for a source without a ring, and for an
     * ummunotify module without {@code UMMUNOTIFY_FEATURE_EVENT_RING}. See {@link
     * InvalidationSource#eventRingInUse()}.
     */
    public boolean eventRingInUse() {
        return eventRingInUse;
    }

    /**
     * {@return the drains of pending invalidations that took them all from the event ring,
     * without a system call} 0 without a ring. With one, every drain counts here or in {@link
     * #drainsWithRead()}, once.
     */
    public long drainsFromRing() {
        return drainsFromRing;
    }

    /**
     * {@return the drains of pending invalidations that read() them from the device, with
     * system calls} Without an event ring, every drain; with one, those that found it had
     * overflowed (events queued for read() because it was full). 0 for a source that reads no
     * device.
     */
    public long drainsWithRead() {
        return drainsWithRead;
    }

    /**
     * What happened between an earlier snapshot of the same cache and this one: each counter
     * is this snapshot's minus {@code earlier}'s, so that {@code
     * after.minus(before).hitRate()} is the hit rate of that interval. The gauges ({@code
     * pinned*}, {@code detachedInUse*}) and the settings ({@link #skipsSamePageInvalidations()},
     * {@link #eventRingInUse()}) are this snapshot's: a level, not a count, has no difference to
     * report.
     *
     * @param earlier a snapshot of the same cache, taken before this one
     * @return the counts of the interval
     * @throws IllegalArgumentException when a counter of {@code earlier} is larger than this
     *     snapshot's (the two are swapped, or of different caches); the message names it
     */
    public CacheStats minus(CacheStats earlier) {
        Objects.requireNonNull(earlier, "earlier");
        Builder interval = toBuilder()
                .hits(difference("hits", hits, earlier.hits))
                .misses(difference("misses", misses, earlier.misses))
                .registerCalls(difference("registerCalls", registerCalls, earlier.registerCalls))
                .deregisterCalls(difference("deregisterCalls", deregisterCalls,
                        earlier.deregisterCalls))
                .invalidationsReceived(difference("invalidationsReceived", invalidationsReceived,
                        earlier.invalidationsReceived))
                .drainsFromRing(difference("drainsFromRing", drainsFromRing,
                        earlier.drainsFromRing))
                .drainsWithRead(difference("drainsWithRead", drainsWithRead,
                        earlier.drainsWithRead));
        for (EvictionCause cause : EvictionCause.values()) {
            interval.evictions(cause, difference("evictions(" + cause + ")",
                    evictions.get(cause), earlier.evictions.get(cause)));
        }
        return interval.build();
    }

    private static long difference(String counter, long later, long earlier) {
        if (earlier > later) {
            throw new IllegalArgumentException("minus(earlier): earlier." + counter + "() is "
                    + earlier + ", more than this snapshot's " + later + ": pass a snapshot of"
                    + " the same cache taken before this one");
        }
        return later - earlier;
    }

    /**
     * This snapshot with what {@code source} says of itself: {@link
     * #skipsSamePageInvalidations()}, {@link #eventRingInUse()}, {@link #drainsFromRing()},
     * {@link #drainsWithRead()}.
     */
    CacheStats withSourceView(InvalidationSource source) {
        return toBuilder().skipsSamePageInvalidations(source.skipsSamePageInvalidations())
                .eventRingInUse(source.eventRingInUse()).drainsFromRing(source.drainsFromRing())
                .drainsWithRead(source.drainsWithRead()).build();
    }

    /** A builder holding this snapshot's values. */
    private Builder toBuilder() {
        Builder b = builder().hits(hits).misses(misses).registerCalls(registerCalls)
                .deregisterCalls(deregisterCalls).invalidationsReceived(invalidationsReceived)
                .pinnedBytes(pinnedBytes).pinnedEntries(pinnedEntries)
                .detachedInUseEntries(detachedInUseEntries)
                .detachedInUseBytes(detachedInUseBytes)
                .skipsSamePageInvalidations(skipsSamePageInvalidations)
                .eventRingInUse(eventRingInUse).drainsFromRing(drainsFromRing)
                .drainsWithRead(drainsWithRead);
        b.evictions.putAll(evictions);
        return b;
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
        return hits == s.hits && misses == s.misses && registerCalls == s.registerCalls
                && deregisterCalls == s.deregisterCalls
                && invalidationsReceived == s.invalidationsReceived
                && evictions.equals(s.evictions) && pinnedBytes == s.pinnedBytes
                && pinnedEntries == s.pinnedEntries
                && detachedInUseEntries == s.detachedInUseEntries
                && detachedInUseBytes == s.detachedInUseBytes
                && skipsSamePageInvalidations == s.skipsSamePageInvalidations
                && eventRingInUse == s.eventRingInUse && drainsFromRing == s.drainsFromRing
                && drainsWithRead == s.drainsWithRead;
    }

    @Override
    public int hashCode() {
        return Objects.hash(hits, misses, registerCalls, deregisterCalls, invalidationsReceived,
                evictions, pinnedBytes, pinnedEntries, detachedInUseEntries, detachedInUseBytes,
                skipsSamePageInvalidations, eventRingInUse, drainsFromRing, drainsWithRead);
    }

    @Override
    public String toString() {
        return "CacheStats{hits=" + hits + ", misses=" + misses + ", registerCalls="
                + registerCalls + ", deregisterCalls=" + deregisterCalls
                + ", invalidationsReceived=" + invalidationsReceived + ", evictions=" + evictions
                + ", pinnedBytes=" + pinnedBytes + ", pinnedEntries=" + pinnedEntries
                + ", detachedInUseEntries=" + detachedInUseEntries + ", detachedInUseBytes="
                + detachedInUseBytes + ", skipsSamePageInvalidations="
                + skipsSamePageInvalidations + ", eventRingInUse=" + eventRingInUse
                + ", drainsFromRing=" + drainsFromRing + ", drainsWithRead=" + drainsWithRead
                + "}";
    }

    /**
     * Builds a {@link CacheStats}, for implementations of {@link RegistrationCache} and tests.
     * Every value starts at 0 ({@code false}); each setter names its value as the getter of the
     * same name does. Not thread-safe.
     */
    public static final class Builder {
        private long hits;
        private long misses;
        private long registerCalls;
        private long deregisterCalls;
        private long invalidationsReceived;
        private final EnumMap<EvictionCause, Long> evictions = new EnumMap<>(EvictionCause.class);
        private long pinnedBytes;
        private long pinnedEntries;
        private long detachedInUseEntries;
        private long detachedInUseBytes;
        private boolean skipsSamePageInvalidations;
        private boolean eventRingInUse;
        private long drainsFromRing;
        private long drainsWithRead;

        private Builder() {
        }

        /**
         * Sets {@link CacheStats#hits()}.
         *
         * @param n the count
         * @return this builder
         */
        public Builder hits(long n) {
            hits = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#misses()}.
         *
         * @param n the count
         * @return this builder
         */
        public Builder misses(long n) {
            misses = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#registerCalls()}.
         *
         * @param n the count
         * @return this builder
         */
        public Builder registerCalls(long n) {
            registerCalls = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#deregisterCalls()}.
         *
         * @param n the count
         * @return this builder
         */
        public Builder deregisterCalls(long n) {
            deregisterCalls = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#invalidationsReceived()}.
         *
         * @param n the count
         * @return this builder
         */
        public Builder invalidationsReceived(long n) {
            invalidationsReceived = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#evictions(EvictionCause)} of one cause.
         *
         * @param cause the cause
         * @param n     the count
         * @return this builder
         */
        public Builder evictions(EvictionCause cause, long n) {
            evictions.put(Objects.requireNonNull(cause, "cause"), n);
            return this;
        }

        /**
         * Sets {@link CacheStats#pinnedBytes()}.
         *
         * @param n the gauge
         * @return this builder
         */
        public Builder pinnedBytes(long n) {
            pinnedBytes = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#pinnedEntries()}.
         *
         * @param n the gauge
         * @return this builder
         */
        public Builder pinnedEntries(long n) {
            pinnedEntries = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#detachedInUseEntries()}.
         *
         * @param n the gauge
         * @return this builder
         */
        public Builder detachedInUseEntries(long n) {
            detachedInUseEntries = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#detachedInUseBytes()}.
         *
         * @param n the gauge
         * @return this builder
         */
        public Builder detachedInUseBytes(long n) {
            detachedInUseBytes = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#skipsSamePageInvalidations()}.
         *
         * @param on the setting
         * @return this builder
         */
        public Builder skipsSamePageInvalidations(boolean on) {
            skipsSamePageInvalidations = on;
            return this;
        }

        /**
         * Sets {@link CacheStats#eventRingInUse()}.
         *
         * @param on the setting
         * @return this builder
         */
        public Builder eventRingInUse(boolean on) {
            eventRingInUse = on;
            return this;
        }

        /**
         * Sets {@link CacheStats#drainsFromRing()}.
         *
         * @param n the count
         * @return this builder
         */
        public Builder drainsFromRing(long n) {
            drainsFromRing = n;
            return this;
        }

        /**
         * Sets {@link CacheStats#drainsWithRead()}.
         *
         * @param n the count
         * @return this builder
         */
        public Builder drainsWithRead(long n) {
            drainsWithRead = n;
            return this;
        }

        /**
         * {@return the snapshot}
         *
         * @throws IllegalArgumentException when a value is negative; the message names it
         */
        public CacheStats build() {
            return new CacheStats(this);
        }
    }
}
