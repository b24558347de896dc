package org.regcache.api;

/**
 * Receives invalidations from an {@link InvalidationSource}; implemented by the cache.
 *
 * <p>Calls come from the thread running {@link InvalidationSource#drain()} or from the source's
 * own background thread, never concurrently from two drains of one source. Implementations do
 * only non-blocking bookkeeping in {@link #invalidated(long)} and defer blocking work
 * (deregistration, unwatching) to {@link #drainCompleted()}.
 */
public interface InvalidationSink {

    /**
     * The mapping of (part of) the range watched under {@code cookie} changed. The whole
     * registration is stale: a registration pins one contiguous range, so a partial change is
     * still a change. Unknown or already unwatched cookies are ignored.
     *
     * @param cookie the cookie the range was watched under ({@link InvalidationSource#watch})
     */
    void invalidated(long cookie);

    /**
     * The source lost track of what changed (for example it could not deliver a batch of
     * events): every watched registration must be considered stale. The cache detaches all its
     * entries, as for {@link #invalidated(long)}.
     */
    void invalidatedAll();

    /**
     * A drain has delivered everything that was pending and released the source's locks. The
     * cache deregisters the idle registrations invalidated by the batch here.
     */
    void drainCompleted();
}
