package org.regcache.api;

/** A {@link RegistrationHandle} on a {@link CacheEntry}; released exactly once. */
final class CachedHandle extends ReleaseOnceHandle {
    private final CachingRegistrationCache cache;
    private final CacheEntry entry;

    CachedHandle(CachingRegistrationCache cache, CacheEntry entry, long address, long length) {
        super(address, length);
        this.cache = cache;
        this.entry = entry;
    }

    @Override
    Registration liveRegistration() {
        return entry.registration;
    }

    @Override
    void release() {
        cache.release(entry);
    }

    @Override
    public String toString() {
        return "RegistrationHandle{[" + Long.toHexString(address()) + ", +" + length() + "), "
                + entry + (isReleased() ? ", released}" : "}");
    }
}
