package org.regcache.api;

/** Why an entry left a {@link RegistrationCache}; counted separately in {@link CacheStats}. */
public enum EvictionCause {
    /** Idle entry evicted to respect the pinned-bytes or entry-count limit, or to retry a
     * registration that failed for lack of resources. */
    CAPACITY,
    /** The {@link InvalidationSource} reported that the memory behind the entry changed. */
    INVALIDATION,
    /** {@link RegistrationCache#invalidate}, {@link RegistrationCache#flushIdle()} or
     * {@link RegistrationCache#close()}. */
    EXPLICIT
}
