package org.regcache.api;

import java.util.Set;

/**
 * {@link RegistrationCacheBuilder#uncached()}: every acquire registers, every release
 * deregisters. Nothing is shared between handles, so no invalidation is needed and nothing can
 * be stale beyond the caller's own use of a handle.
 */
final class UncachedRegistrationCache implements RegistrationCache {
    private final StatsRecorder stats = new StatsRecorder();
    private final CountingRegistrar registrar;
    private final PageGeometry geometry;
    private volatile boolean closed;

    UncachedRegistrationCache(Registrar registrar, long pageSize) {
        this.registrar = new CountingRegistrar(registrar, stats);
        this.geometry = new PageGeometry(pageSize);
    }

    @Override
    public RegistrationHandle acquire(long address, long length, Set<Access> access)
            throws RegistrationException {
        AccessMask.of(access);
        long end = geometry.checkedEnd(address, length);
        if (closed) {
            throw new CacheClosedException(
                    "the registration cache is closed: acquire() after close()");
        }
        stats.miss();
        long start = geometry.alignDown(address);
        Registration registration =
                registrar.register(start, geometry.alignUp(end) - start, access);
        return new UncachedHandle(registrar, registration, address, length);
    }

    /** Nothing is cached: validates the range and returns 0. */
    @Override
    public int invalidate(long address, long length) {
        geometry.checkedEnd(address, length);
        return 0;
    }

    /** Nothing is idle: returns 0. */
    @Override
    public int flushIdle() {
        return 0;
    }

    @Override
    public CacheStats stats() {
        return stats.snapshot();
    }

    /** Later acquires fail; live handles deregister at their release as always. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "RegistrationCache{uncached, " + stats.snapshot() + "}";
    }
}
