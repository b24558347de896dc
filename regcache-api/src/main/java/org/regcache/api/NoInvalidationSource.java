package org.regcache.api;

/**
 * The invalidation source of {@link RegistrationCacheBuilder#unsafeWithoutInvalidationForDemonstration()}:
 * reports nothing, ever. A cache using it returns stale registrations after memory is unmapped
 * or remapped; it exists to demonstrate exactly that.
 */
final class NoInvalidationSource implements InvalidationSource {
    @Override
    public void start(InvalidationSink sink) {
    }

    @Override
    public void watch(long cookie, long address, long length) {
    }

    @Override
    public void unwatch(long cookie) {
    }

    @Override
    public boolean hasPendingInvalidations() {
        return false;
    }

    @Override
    public void drain() {
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "NoInvalidationSource(UNSAFE)";
    }
}
