package org.regcache.ummu;

import org.regcache.api.RegistrationException;

/**
 * An open /dev/ummunotify file: the few operations {@link UmmunotifyInvalidationSource} needs,
 * behind an interface so that the source can be tested with a fake or a mock.
 *
 * <p>All methods may be called from any thread. After {@link #close()} they throw {@link
 * IllegalStateException}, except {@link #counterAcquire()}, which keeps returning some value without
 * faulting (the mapped page stays readable), and {@link #close()} itself.
 */
interface UmmunotifyDevice extends AutoCloseable {

    /**
     * Whether the kernel agreed, at open, to leave out invalidations after which a range maps
     * the same pages ({@code UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES}); fixed for the file's life.
     */
    boolean skipsSamePages();

    /**
     * Whether the kernel agreed, at open, to report an invalidation again at its end to every
     * registration whose event was read while it was in progress ({@code
     * UMMUNOTIFY_FEATURE_REPORT_AT_END}); fixed for the file's life. Only then may a
     * registration be re-used after its event was read without being registered again.
     */
    boolean reportsAtEnd();

    /**
     * The file's {@code /proc/self/fdinfo} text ({@code name:\tvalue} lines); empty when it
     * cannot be read. Not for the hot path: it opens and reads a file.
     */
    String fdinfo();

    /** Acquire load of the mapped generation counter; no system call, no allocation. */
    long counterAcquire();

    /**
     * ioctl(UMMUNOTIFY_REGISTER_REGION) for [start, end) under {@code cookie}.
     *
     * @throws RegistrationException with the errno (ENOSPC: max_regions reached)
     */
    void registerRegion(long start, long end, long cookie) throws RegistrationException;

    /**
     * ioctl(UMMUNOTIFY_UNREGISTER_REGION).
     *
     * @return false when the kernel does not know the cookie (EINVAL)
     */
    boolean unregisterRegion(long cookie);

    /**
     * Non-blocking read() of as many events as fit into {@code buffer}.
     *
     * @return the number of records read, 0 when none is available (EAGAIN)
     */
    int read(EventBuffer buffer);

    /**
     * The size in entries of the event ring this file consumes ({@code
     * UMMUNOTIFY_FEATURE_EVENT_RING} agreed, the ring made and mapped at open), or 0 without
     * one: events then wait for {@link #read} only. Fixed for the file's life. The ring methods
     * below may be called only when it is not 0, by one thread at a time (the consumer); their
     * ordering contracts are those of {@code MappedEventRing}.
     */
    int ringEntries();

    /** Acquire load of the ring's head: the number of entries the kernel ever wrote. */
    long ringHeadAcquire();

    /**
     * Copies ring entries {@code from} .. {@code from + count - 1} (entry n at index n modulo
     * {@link #ringEntries()}) into the first {@code count} records of {@code buffer}; plain
     * loads, to be made after {@link #ringHeadAcquire()} returned at least {@code from + count}
     * and before {@link #publishRingTail} passes them.
     */
    void copyRingEntries(long from, int count, EventBuffer buffer);

    /**
     * Store of the tail word, release and then a full fence: entries before {@code tail} are
     * consumed, the kernel may write over them, and it sees the store before any later load
     * (a re-pin's walk of the page tables) is made.
     */
    void publishRingTail(long tail);

    /**
     * Acquire load of the ring's flags: {@return whether {@code UMMUNOTIFY_RING_OVERFLOW} is
     * set, i.e. events wait for read()}
     */
    boolean ringOverflowAcquire();

    /** poll() for readability; false on timeout. */
    boolean awaitReadable(int timeoutMillis);

    /** Closes the file once no other thread is inside a call on it; never blocks. */
    @Override
    void close();
}
