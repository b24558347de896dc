package org.regcache.api;

/**
 * SPI: tells a {@link RegistrationCache} that memory behind its registrations changed (for
 * example {@code /dev/ummunotify}, which relays the kernel's MMU notifier).
 *
 * <p>The cache gives every registration a distinct <em>cookie</em> (never reused by that cache)
 * and asks the source to {@link #watch} its range <em>before</em> registering it, so that a change
 * racing with the registration is reported too. From the return of {@link #watch} until {@link
 * #unwatch}, every change to the mapping of the watched range that has not completed must
 * eventually be reported to the {@link InvalidationSink} as {@code invalidated(cookie)}: the
 * changes that begin later, and also those <em>in progress</em> when {@code watch} returns
 * (started, the pages possibly still being replaced, but not completed). The cache pins the
 * pages only after {@code watch} returned, so it may pin the old pages of a change in progress;
 * only a report of that change saves it from keeping them.
 *
 * <p><b>Protocol on the hot path.</b> Before every lookup the cache calls {@link
 * #hasPendingInvalidations()}; it must answer without a system call, a lock or an allocation
 * (typically one acquire load of a kernel-updated counter compared with a field). Only when it
 * answers {@code true} does the cache call {@link #drain()}, which must deliver every
 * invalidation that happened before the call began to the sink before returning.
 *
 * <p><b>The guarantee it must give:</b> if a change to a watched range completed (the
 * {@code munmap()} returned) before {@code hasPendingInvalidations()} was called, then either
 * it answers {@code true}, or the invalidation was already delivered to the sink and processed
 * by the time it answers {@code false}. This covers every change that had not completed when
 * {@code watch} returned, including one already in progress then: a report of it consumed
 * before (delivered for an earlier watch of the same range, say) does not count.
 *
 * <p><b>Thread safety.</b> All methods may be called concurrently from many threads; {@link
 * #drain()} must serialise its deliveries internally (a drain that finds another one in
 * progress waits for it, then delivers what is still pending). The sink is called with the
 * source's own locks possibly held, but never with the cache's locks held; sinks do no blocking
 * work (no deregistration) inside the call.
 *
 * <p><b>Ownership.</b> The cache that {@link #start}s a source owns it and {@link #close}s it.
 */
public interface InvalidationSource extends AutoCloseable {

    /**
     * Called once by the owning cache before any other method. A source that runs a background
     * thread delivers to {@code sink} from that thread from now on.
     *
     * @param sink where invalidations go, for the source's whole life
     */
    void start(InvalidationSink sink);

    /**
     * Starts watching {@code [address, address + length)} under {@code cookie}. When this call
     * returns, every invalidation of the range that has not completed is reported (eventually,
     * to the sink, under {@code cookie}): those that begin afterwards, and those <em>in
     * progress</em>, which started (the pages may be being replaced) but whose call ({@code
     * munmap()}, {@code madvise()}, ...) has not returned. Only invalidations that completed
     * before this call returned may go unreported: the cache pins the range after this call, so
     * it pins their new pages. The source guarantees it; for ummunotify, the kernel does: its
     * check of the invalidations in progress at REGISTER queues an event at once for a new
     * registration, and {@code UMMUNOTIFY_FEATURE_REPORT_AT_END} queues one again, at the end
     * of the invalidation, for a registration re-used without REGISTER whose event was read
     * while the invalidation was in progress. A report for {@code cookie} may reach the sink
     * before this call returns (read by a drain on another thread).
     *
     * @param cookie  the cache's name for the range, distinct among its live watches
     * @param address start of the range
     * @param length  length of the range in bytes, at least 1
     * @throws RegistrationException when the watch cannot be set up; {@link
     *     RegistrationException#isResourceExhausted()} tells whether dropping other watches may
     *     help (the cache then evicts idle entries and retries once)
     * @throws IllegalStateException when the source is closed
     */
    void watch(long cookie, long address, long length) throws RegistrationException;

    /**
     * Stops watching {@code cookie}; afterwards it is never reported again, even if an event for
     * it was pending. Unknown cookies and calls after {@link #close()} are ignored (logged).
     *
     * @param cookie the cookie given to {@link #watch}
     */
    void unwatch(long cookie);

    /**
     * {@return whether this source leaves out changes after which a watched range maps the same
     * pages} Those are protection changes such as mprotect() or NUMA balancing's scan, the
     * write-protection of private memory by fork() and soft-dirty resets: a registration pinning
     * those pages is still correct, so reporting them would only cost re-registrations. Every change that may
     * replace or remove pages is reported either way. Fixed once the source is created; shown
     * in {@link CacheStats#skipsSamePageInvalidations()}. The default answers {@code false}.
     */
    default boolean skipsSamePageInvalidations() {
        return false;
    }

    /**
     * {@return whether this source takes invalidations from memory it shares with the kernel
     * (an event ring), so that a drain makes no system call unless the ring overflowed} Fixed
     * once the source is created; shown in {@link CacheStats#eventRingInUse()}. The default
     * answers {@code false}.
     */
    default boolean eventRingInUse() {
        return false;
    }

    /**
     * {@return how many drains, since the source was created, found invalidations pending and
     * took all of them from the event ring, with no system call} Shown in {@link
     * CacheStats#drainsFromRing()}. The default answers 0 (no ring).
     */
    default long drainsFromRing() {
        return 0;
    }

    /**
     * {@return how many drains, since the source was created, found invalidations pending and
     * read() them from a device, with system calls: every such drain of a source without an
     * event ring, and those of a source with one that found it overflowed (events queued for
     * read())} Shown in {@link CacheStats#drainsWithRead()}. The default answers 0 (a source
     * that reads no device).
     */
    default long drainsWithRead() {
        return 0;
    }

    /**
     * {@return whether invalidations may be waiting to be drained} Called on every acquire: no
     * system call, no lock, no allocation. A {@code false} answer obliges as described above.
     */
    boolean hasPendingInvalidations();

    /**
     * Delivers to the sink every invalidation that happened before this call began, then calls
     * {@link InvalidationSink#drainCompleted()}; returns after both. Does nothing once closed.
     *
     * @throws IllegalStateException when the underlying device fails (the message says why); the
     *     pending invalidations stay pending and the next call tries again
     */
    void drain();

    /**
     * Stops the source and releases its resources. Later {@link #drain()} calls do nothing,
     * later {@link #watch} calls throw {@link IllegalStateException}. Idempotent; does not wait
     * for a drain in progress on another thread longer than that drain takes.
     */
    @Override
    void close();
}
