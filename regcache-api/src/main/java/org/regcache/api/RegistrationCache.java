package org.regcache.api;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;

/**
 * A cache of RDMA memory registrations: {@link #acquire} returns a handle to a registration
 * covering the requested range, registering it only when no cached registration does.
 *
 * <p><b>Thread safety.</b> Every method may be called from any thread at any time. A hit (the
 * range is covered by a cached registration with sufficient access rights) takes no lock
 * shared by all threads: it is a load of the invalidation source's change indicator, an index
 * lookup and an atomic reference-count increment.
 *
 * <p><b>Ownership.</b> The cache owns every registration it created and deregisters each exactly
 * once. A caller owns the {@link RegistrationHandle} it acquired and must release it exactly
 * once ({@link RegistrationHandle#close()}); while a handle is live its registration is never
 * deregistered, whatever happens to the cache. The cache owns its {@link InvalidationSource}
 * and closes it in {@link #close()}; it does not own the {@link Registrar}.
 *
 * <p><b>Invalidation.</b> When the invalidation source reports that memory covered by a cached
 * registration changed (unmapped, remapped, pages discarded), or when {@link #invalidate} names
 * it, the entry leaves the index at once: no acquire that starts afterwards returns it. If the
 * entry is idle it is deregistered; if it is in use it is <em>detached</em> and deregistered
 * when its last handle is released. {@link CacheStats#detachedInUseEntries()} counts those.
 * Memory freed but still mapped (a small {@code free()}, a direct buffer's cleaner, {@code
 * Arena.close()}) is not a change: its registration stays, correct, and serves the allocator's
 * reuse of the same addresses. The package description of {@link org.regcache.api} says what
 * invalidates and what does not, and what an application must not do: free memory under a live
 * handle, which nothing detects.
 *
 * <p><b>Capacity.</b> The cache keeps at most {@code maxPinnedBytes} and {@code maxEntries}
 * (see {@link RegistrationCacheBuilder}) of cached registrations, evicting idle entries only.
 * Entries in use are never evicted, so the limits can be exceeded by registrations in use.
 */
public interface RegistrationCache extends AutoCloseable {

    /** {@return a new builder} See {@link RegistrationCacheBuilder} for the parameters. */
    static RegistrationCacheBuilder builder() {
        return new RegistrationCacheBuilder();
    }

    /**
     * Returns a handle to a registration that covers at least {@code [address, address +
     * length)} with at least the requested access rights.
     *
     * <p>First asks the invalidation source whether memory changed since it last asked (no
     * system call when nothing did) and, if so, applies the pending invalidations; so an acquire
     * that starts after an unmap of a range has returned never returns a registration
     * overlapping that range. Then looks for a cached registration containing the range whose
     * access rights are a superset of {@code access}. On a miss it registers the page-aligned
     * enclosing range, outside any cache lock; if the registrar reports a lack of resources
     * ({@link RegistrationException#isResourceExhausted()}) it evicts all idle entries and retries
     * once. Two threads missing on the same range at once both register, and the loser's
     * registration is deregistered at once in favour of the winner's: nothing leaks.
     *
     * @param address start of the range, a user-space virtual address ({@code >= 0})
     * @param length  length of the range in bytes, {@code >= 1}
     * @param access  required rights; the empty set means local read only
     * @return a live handle, to be released exactly once by the caller
     * @throws RegistrationException    when registration fails (after the retry for a lack of
     *                                  resources); the message names the remedy
     * @throws IllegalArgumentException when the range is empty, negative, wraps or is too large
     * @throws CacheClosedException     when the cache was closed before the call
     */
    RegistrationHandle acquire(long address, long length, Set<Access> access)
            throws RegistrationException;

    /**
     * Returns a handle to a registration covering the remaining bytes of a direct buffer,
     * from its position to its limit: {@code acquire(buffer, buffer.position(),
     * buffer.remaining(), access)}. The buffer's position and limit are not changed.
     *
     * @param buffer a direct buffer ({@link ByteBuffer#allocateDirect}, {@code
     *               FileChannel.map}) or a slice or view of one
     * @param access required rights; the empty set means local read only
     * @return a live handle, to be released exactly once by the caller; it keeps {@code buffer}
     *     reachable until then
     * @throws RegistrationException    as {@link #acquire(long, long, Set)}
     * @throws IllegalArgumentException as {@link #acquire(ByteBuffer, int, int, Set)}, and when
     *                                  nothing remains ({@code position == limit})
     * @throws CacheClosedException     when the cache was closed before the call
     * @see #acquire(ByteBuffer, int, int, Set)
     */
    default RegistrationHandle acquire(ByteBuffer buffer, Set<Access> access)
            throws RegistrationException {
        Objects.requireNonNull(buffer, "buffer");
        return acquire(buffer, buffer.position(), buffer.remaining(), access);
    }

    /**
     * Returns a handle to a registration covering {@code length} bytes of a direct buffer from
     * its index {@code offset} (an absolute index, as in {@link ByteBuffer#get(int)}: the
     * position plays no part). The range is the buffer's memory at its native address, so a
     * buffer sliced or duplicated from a larger one is a hit on the larger one's cached
     * registration (containment, as for {@link #acquire(long, long, Set)}). The handle's {@link
     * RegistrationHandle#address()} is the native address of byte {@code offset}.
     *
     * <p>The handle holds a reference to {@code buffer} until it is released, so the garbage
     * collector's cleaner cannot free the buffer's memory while the NIC may use it. An explicit
     * free ({@code Unsafe.invokeCleaner}, {@code Arena.close()} of a segment's buffer view) is
     * not stopped and raises nothing: the application must not free it before the release (see
     * the package description of {@link org.regcache.api}). The address is read through JNI
     * (JNA); no JVM flag is needed for it.
     *
     * @param buffer a direct buffer ({@link ByteBuffer#allocateDirect}, {@code
     *               FileChannel.map}) or a slice or view of one
     * @param offset index of the first byte, {@code >= 0}
     * @param length number of bytes, {@code >= 1}; {@code offset + length <= buffer.limit()}
     * @param access required rights; the empty set means local read only
     * @return a live handle, to be released exactly once by the caller
     * @throws RegistrationException     as {@link #acquire(long, long, Set)}
     * @throws IllegalArgumentException  when {@code buffer} is a heap buffer (the garbage
     *                                   collector moves it: use a direct buffer), when it is
     *                                   a read-only view (the registration handed out may let
     *                                   the NIC write: use the writable buffer it is a view
     *                                   of), or when {@code length} is 0; the message names
     *                                   the remedy
     * @throws IndexOutOfBoundsException when {@code [offset, offset + length)} is not within
     *                                   {@code [0, buffer.limit())}
     * @throws CacheClosedException      when the cache was closed before the call
     */
    default RegistrationHandle acquire(ByteBuffer buffer, int offset, int length,
            Set<Access> access) throws RegistrationException {
        long address = DirectBuffers.address(buffer, offset, length, access);
        return new BufferHandle(acquire(address, length, access), buffer);
    }

    /**
     * Invalidates every cached registration overlapping {@code [address, address + length)},
     * as if the invalidation source had reported it: idle entries are deregistered before this
     * method returns, entries in use are detached and deregistered at their last release.
     * Counted as {@link EvictionCause#EXPLICIT}. Safe to call concurrently with anything, and
     * after {@link #close()} (then it does nothing).
     *
     * @param address start of the range
     * @param length  length of the range in bytes, {@code >= 1}
     * @return the number of entries that left the cache
     * @throws IllegalArgumentException when the range is empty or negative
     */
    int invalidate(long address, long length);

    /**
     * Deregisters every idle entry (cause {@link EvictionCause#EXPLICIT}) before returning;
     * entries in use stay cached. Useful to give pinned memory back before a phase that does no
     * RDMA.
     *
     * @return the number of entries deregistered
     */
    int flushIdle();

    /**
     * {@return a consistent-enough snapshot of the counters} Never blocks on other threads.
     */
    CacheStats stats();

    /**
     * Closes the cache without waiting for anything: marks it closed (every later {@link
     * #acquire} throws {@link CacheClosedException}), deregisters idle entries at once, detaches
     * entries in use so that each is deregistered when its last handle is released, and closes
     * the invalidation source. Handles acquired before stay valid until released. Idempotent.
     */
    @Override
    void close();
}
