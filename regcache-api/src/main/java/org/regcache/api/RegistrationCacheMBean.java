package org.regcache.api;

/**
 * The JMX view of a {@link RegistrationCache}'s {@link CacheStats}: a standard MBean that
 * {@link RegistrationCacheBuilder#jmxName(String)} registers with the platform MBean server and
 * {@link RegistrationCache#close()} unregisters. Monitoring tools (jconsole, VisualVM, JMX
 * exporters of metrics agents) read it like any other MBean.
 *
 * <p>Every attribute is read-only and takes its value from a fresh {@link
 * RegistrationCache#stats()} snapshot when it is read: counters are monotonic over the cache's
 * life, the {@code Pinned*} and {@code DetachedInUse*} gauges describe the moment of the read.
 * Two attributes read one after the other come from two snapshots. Reading never blocks the
 * cache's users.
 */
public interface RegistrationCacheMBean {

    /** {@link CacheStats#hitRate()}: hits per acquire, from 0 to 1; 1 before any acquire. */
    double getHitRate();

    /** {@link CacheStats#hits()}: acquires satisfied by a cached registration. */
    long getHits();

    /** {@link CacheStats#misses()}: acquires that had to register. */
    long getMisses();

    /** {@link CacheStats#registrations()}: successful registrations with the device. */
    long getRegistrations();

    /** {@link CacheStats#deregistrations()}: deregistrations, failed ones included. */
    long getDeregistrations();

    /**
     * {@link CacheStats#invalidationsReceived()}: invalidations the invalidation source
     * delivered (memory that changed under a watched range).
     */
    long getInvalidationsReceived();

    /** Entries that left the cache because their memory changed ({@link EvictionCause#INVALIDATION}). */
    long getInvalidatedEntries();

    /** Idle entries evicted for the capacity limits ({@link EvictionCause#CAPACITY}). */
    long getCapacityEvictions();

    /** Entries removed by the application ({@link EvictionCause#EXPLICIT}). */
    long getExplicitEvictions();

    /** {@link CacheStats#pinnedBytes()}: bytes registered and not yet deregistered. */
    long getPinnedBytes();

    /** {@link CacheStats#pinnedEntries()}: registrations not yet deregistered. */
    long getPinnedEntries();

    /**
     * {@link CacheStats#detachedInUseEntries()}: entries invalidated or evicted while in use,
     * waiting for their last handle's release.
     */
    long getDetachedInUseEntries();

    /** {@link CacheStats#detachedInUseBytes()}: the bytes of those entries. */
    long getDetachedInUseBytes();
}
