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

    /**
     * {@return {@link CacheStats#hitRate()}: hits per acquire, from 0 to 1, and 1 before any
     * acquire}
     */
    double getHitRate();

    /** {@return {@link CacheStats#hits()}: acquires satisfied by a cached registration} */
    long getHits();

    /** {@return {@link CacheStats#misses()}: acquires that had to register} */
    long getMisses();

    /**
     * {@return {@link CacheStats#registerCalls()}: successful calls to register memory with the
     * device, over the cache's life (the live ones are {@link #getPinnedEntries()})}
     */
    long getRegisterCalls();

    /**
     * {@return {@link CacheStats#deregisterCalls()}: calls to deregister, failed ones included,
     * over the cache's life}
     */
    long getDeregisterCalls();

    /**
     * {@return {@link CacheStats#invalidationsReceived()}: invalidations the invalidation source
     * delivered (memory that changed under a watched range)}
     */
    long getInvalidationsReceived();

    /**
     * {@return the entries that left the cache because their memory changed ({@link
     * EvictionCause#INVALIDATION})}
     */
    long getInvalidatedEntries();

    /**
     * {@return the idle entries evicted for the capacity limits ({@link
     * EvictionCause#CAPACITY})}
     */
    long getCapacityEvictions();

    /** {@return the entries removed by the application ({@link EvictionCause#EXPLICIT})} */
    long getExplicitEvictions();

    /** {@return {@link CacheStats#pinnedBytes()}: bytes registered and not yet deregistered} */
    long getPinnedBytes();

    /** {@return {@link CacheStats#pinnedEntries()}: registrations not yet deregistered} */
    long getPinnedEntries();

    /**
     * {@return {@link CacheStats#detachedInUseEntries()}: entries invalidated or evicted while in
     * use, waiting for their last handle's release}
     */
    long getDetachedInUseEntries();

    /** {@return {@link CacheStats#detachedInUseBytes()}: the bytes of those entries} */
    long getDetachedInUseBytes();

    /**
     * {@return {@link CacheStats#skipsSamePageInvalidations()}: whether the invalidation source
     * leaves out changes that keep the pages (a setting, not a counter)}
     */
    boolean isSkipsSamePageInvalidations();

    /**
     * {@return {@link CacheStats#eventRingInUse()}: whether the invalidation source takes
     * invalidations from an event ring shared with the kernel, without system calls (a
     * setting, not a counter)}
     */
    boolean isEventRingInUse();

    /**
     * {@return {@link CacheStats#drainsFromRing()}: drains of pending invalidations that took
     * them all from the event ring, without a system call}
     */
    long getDrainsFromRing();

    /**
     * {@return {@link CacheStats#drainsWithRead()}: drains of pending invalidations that read()
     * them from the device, with system calls (no ring, or the ring had overflowed)}
     */
    long getDrainsWithRead();
}
