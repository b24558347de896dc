package org.regcache.api;

/**
 * {@link RegistrationCacheMBean} over a cache: each getter reads one value of a fresh {@link
 * RegistrationCache#stats()} snapshot.
 */
final class CacheStatsView implements RegistrationCacheMBean {
    private final RegistrationCache cache;

    CacheStatsView(RegistrationCache cache) {
        this.cache = cache;
    }

    @Override
    public double getHitRate() {
        return cache.stats().hitRate();
    }

    @Override
    public long getHits() {
        return cache.stats().hits();
    }

    @Override
    public long getMisses() {
        return cache.stats().misses();
    }

    @Override
    public long getRegisterCalls() {
        return cache.stats().registerCalls();
    }

    @Override
    public long getDeregisterCalls() {
        return cache.stats().deregisterCalls();
    }

    @Override
    public long getInvalidationsReceived() {
        return cache.stats().invalidationsReceived();
    }

    @Override
    public long getInvalidatedEntries() {
        return cache.stats().evictions(EvictionCause.INVALIDATION);
    }

    @Override
    public long getCapacityEvictions() {
        return cache.stats().evictions(EvictionCause.CAPACITY);
    }

    @Override
    public long getExplicitEvictions() {
        return cache.stats().evictions(EvictionCause.EXPLICIT);
    }

    @Override
    public long getPinnedBytes() {
        return cache.stats().pinnedBytes();
    }

    @Override
    public long getPinnedEntries() {
        return cache.stats().pinnedEntries();
    }

    @Override
    public long getDetachedInUseEntries() {
        return cache.stats().detachedInUseEntries();
    }

    @Override
    public long getDetachedInUseBytes() {
        return cache.stats().detachedInUseBytes();
    }

    @Override
    public boolean isSkipsSamePageInvalidations() {
        return cache.stats().skipsSamePageInvalidations();
    }

    @Override
    public boolean isEventRingInUse() {
        return cache.stats().eventRingInUse();
    }

    @Override
    public long getDrainsFromRing() {
        return cache.stats().drainsFromRing();
    }

    @Override
    public long getDrainsWithRead() {
        return cache.stats().drainsWithRead();
    }
}
