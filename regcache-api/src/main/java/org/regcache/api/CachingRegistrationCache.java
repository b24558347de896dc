package org.regcache.api;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The caching {@link RegistrationCache}: an invalidation source checked on every acquire, a
 * {@link ChunkIndex} for containment lookups, and Caffeine for capacity.
 *
 * <h2>Where each entry lives</h2>
 * <ul>
 * <li>{@link #entries}: every entry from just before its range is watched until it is unlinked,
 *     by cookie; invalidations look cookies up here, so one that arrives while the entry is
 *     still being registered is not lost.
 * <li>{@link #index}: live entries, for lookups. A detached entry may linger there until
 *     unlinked, but cannot be pinned. {@link #memo} remembers the last entry found per page
 *     so that repeated hits skip the index.
 * <li>{@link #policy}: Caffeine, weighing entries in pages, with {@code maximumWeight =
 *     maxPinnedBytes / pageSize}. Hits do not write to it (a random one hit in {@value
 *     #ACCESS_SAMPLE_PERIOD}, drawn per thread, is reported as a read so that its recency and
 *     frequency estimates follow the workload).
 * </ul>
 *
 * <h2>Caffeine never takes an entry in use</h2>
 * Caffeine cannot be told cheaply that an entry is in use (pinning by weight 0 would need a
 * Caffeine write on every acquire and release). Instead its synchronous eviction listener
 * decides: an idle victim is detached (and deregistered later, outside Caffeine); a victim in
 * use stays cached and usable, flagged {@link CacheEntry#UNTRACKED}, and is put back into
 * Caffeine at its last release. Because such an entry no longer weighs in Caffeine, and because
 * Caffeine bounds weight or count but not both, {@link #enforceLimits()} also checks the live
 * entries and bytes after each insertion and evicts the coldest idle entries beyond either
 * limit.
 *
 * <h2>No blocking work under anyone's lock</h2>
 * Caffeine runs its maintenance and the eviction listener on the calling thread ({@code
 * executor(Runnable::run)}): eviction happens synchronously with the insertion that caused it,
 * nothing depends on the common pool, and tests are deterministic. The listener and the
 * invalidation sink only flip the entry's state and queue it; {@link #processUnlinks()}
 * unwatches and deregisters afterwards, on the same thread, with no lock held.
 */
final class CachingRegistrationCache implements RegistrationCache, InvalidationSink {
    /**
     * Hits reported to Caffeine: one in this many (a power of two), chosen by the calling
     * thread's {@link ThreadLocalRandom}. A Caffeine read costs several times a hit (read
     * buffer, and maintenance on the calling thread); sampling keeps its recency and frequency
     * estimates proportional to the workload. The draw is per thread rather than a counter in
     * the entry so that a hit writes nothing shared besides the reference count.
     */
    static final int ACCESS_SAMPLE_PERIOD = 64;
    /** log2 of the slots of the {@link LookupMemo}: 8192 slots, 32 KiB. */
    static final int MEMO_SLOT_BITS = 13;

    private final CountingRegistrar registrar;
    private final InvalidationSource source;
    private final PageGeometry geometry;
    private final long maxPinnedBytes;
    private final long maxEntries;
    private final StatsRecorder stats;
    private final ChunkIndex index = new ChunkIndex();
    private final LookupMemo memo;
    private final ConcurrentHashMap<Long, CacheEntry> entries = new ConcurrentHashMap<>();
    private final Cache<Long, CacheEntry> policy;
    private final ConcurrentLinkedQueue<CacheEntry> unlinkQueue = new ConcurrentLinkedQueue<>();
    private final AtomicLong nextCookie = new AtomicLong();
    private final AtomicLong liveEntries = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean closed;

    private CachingRegistrationCache(Registrar registrar, InvalidationSource source,
            long pageSize, long maxPinnedBytes, long maxEntries) {
        this.stats = new StatsRecorder(this::liveHits);
        this.registrar = new CountingRegistrar(registrar, stats);
        this.source = source;
        this.geometry = new PageGeometry(pageSize);
        this.maxPinnedBytes = maxPinnedBytes;
        this.maxEntries = maxEntries;
        this.memo = new LookupMemo(MEMO_SLOT_BITS, geometry.pageShift);
        this.policy = Caffeine.newBuilder()
                .maximumWeight(geometry.pages(maxPinnedBytes))
                .weigher((Long cookie, CacheEntry e) -> e.weight)
                .executor(Runnable::run)
                .evictionListener((Long cookie, CacheEntry e, RemovalCause cause) ->
                        onPolicyEviction(e, cause))
                .build();
    }

    /** Creates the cache and starts {@code source} with it as the sink. */
    static CachingRegistrationCache start(Registrar registrar, InvalidationSource source,
            long pageSize, long maxPinnedBytes, long maxEntries) {
        CachingRegistrationCache cache = new CachingRegistrationCache(registrar, source,
                pageSize, maxPinnedBytes, maxEntries);
        source.start(cache);
        return cache;
    }

    @Override
    public RegistrationHandle acquire(long address, long length, Set<Access> access)
            throws RegistrationException {
        int mask = AccessMask.of(access);
        long end = geometry.checkedEnd(address, length);
        if (closed) {
            throw closedException();
        }
        if (source.hasPendingInvalidations()) {
            source.drain();
        }
        // The pin counts the hit in the entry's state word (see CacheEntry).
        CacheEntry hit = memo.findAndPin(address, end, mask, stats);
        if (hit == null) {
            hit = index.findAndPin(address, end, mask, stats);
            if (hit != null) {
                memo.rememberRelease(address, hit);
            }
        }
        if (hit != null) {
            // Sampled per thread (see ACCESS_SAMPLE_PERIOD): no shared write but the pin.
            if ((ThreadLocalRandom.current().nextInt() & (ACCESS_SAMPLE_PERIOD - 1)) == 0) {
                recordAccess(hit);
            }
            // A new handle per hit: release-once is a property of each acquire (a second
            // close() of the same handle must fail, not unpin someone else's claim), so the
            // claim needs an identity of its own; a TLAB allocation is cheaper than any shared
            // pool of handles would be.
            return new CachedHandle(this, hit, address, length);
        }
        return miss(address, length, end, access);
    }

    private RegistrationHandle miss(long address, long length, long end, Set<Access> access)
            throws RegistrationException {
        stats.miss();
        long start = geometry.alignDown(address);
        long bytes = geometry.alignUp(end) - start;
        long pages = geometry.pages(bytes);
        boolean cacheable = bytes <= maxPinnedBytes && pages <= Integer.MAX_VALUE;
        CacheEntry e = new CacheEntry(nextCookie.incrementAndGet(), start, start + bytes,
                (int) Math.min(pages, Integer.MAX_VALUE), cacheable,
                cacheable ? 1 : CacheEntry.DETACHED | 1);
        if (cacheable) {
            entries.put(e.key, e);
            try {
                if (closed) {
                    throw closedException();
                }
                watch(e);
            } catch (RegistrationException | RuntimeException failure) {
                abandon(e);
                if (closed) {
                    throw closedException(failure);
                }
                throw failure;
            }
        }
        try {
            e.registration = registerWithRetry(start, bytes, access);
        } catch (RegistrationException | RuntimeException failure) {
            abandon(e);
            throw failure;
        }
        e.accessMask = AccessMask.of(e.registration.access());
        if (!cacheable) {
            // Larger than the whole cache: the caller's alone, deregistered at its release.
            stats.evicted(EvictionCause.CAPACITY);
            stats.detachedInUse(bytes);
            return new CachedHandle(this, e, address, length);
        }
        return publish(e, address, length);
    }

    private RegistrationHandle publish(CacheEntry e, long address, long length) {
        CacheEntry winner = index.insertOrPinCovering(e);
        if (winner != null) {
            // Another thread registered a covering range meanwhile: use its entry, drop ours.
            abandon(e);
            memo.rememberRelease(address, winner);
            return new CachedHandle(this, winner, address, length);
        }
        if (!e.markIndexed()) {
            // Invalidated or the cache closed while we registered: the caller gets it detached.
            index.remove(e);
            processUnlinks();
            return new CachedHandle(this, e, address, length);
        }
        liveEntries.incrementAndGet();
        liveBytes.addAndGet(e.bytes());
        policy.put(e.key, e);
        if (e.isDetached()) {
            // Detached between markIndexed and put: its unlink may have run before the put.
            policy.asMap().remove(e.key, e);
        }
        memo.rememberRelease(address, e);
        enforceLimits();
        processUnlinks();
        return new CachedHandle(this, e, address, length);
    }

    private void watch(CacheEntry e) throws RegistrationException {
        try {
            source.watch(e.cookie, e.start, e.bytes());
        } catch (RegistrationException first) {
            if (!first.isResourceExhausted()) {
                throw first;
            }
            int evicted = evictIdle(EvictionCause.CAPACITY);
            try {
                source.watch(e.cookie, e.start, e.bytes());
            } catch (RegistrationException second) {
                second.addSuppressed(first);
                throw new RegistrationException("cannot watch " + range(e.start, e.bytes())
                        + " for invalidations even after evicting " + evicted
                        + " idle registrations (errno " + second.errno() + "): "
                        + second.getMessage() + "; raise the invalidation source's limit (for"
                        + " ummunotify: /sys/module/ummunotify/parameters/max_regions) or lower"
                        + " maxEntries (" + maxEntries + ")", second.errno(), second);
            }
        }
    }

    private Registration registerWithRetry(long start, long bytes, Set<Access> access)
            throws RegistrationException {
        try {
            return registrar.register(start, bytes, access);
        } catch (RegistrationException first) {
            if (!first.isResourceExhausted()) {
                throw first;
            }
            long pinnedBefore = stats.snapshot().pinnedBytes();
            int evicted = evictIdle(EvictionCause.CAPACITY);
            try {
                return registrar.register(start, bytes, access);
            } catch (RegistrationException second) {
                second.addSuppressed(first);
                throw new RegistrationException("cannot register " + range(start, bytes)
                        + ": out of resources (errno " + second.errno() + ") even after"
                        + " evicting " + evicted + " idle registrations (" + pinnedBefore
                        + " bytes were pinned): " + second.getMessage() + "; raise the locked"
                        + " memory limit (ulimit -l, RLIMIT_MEMLOCK) or lower maxPinnedBytes ("
                        + maxPinnedBytes + ")", second.errno(), second);
            }
        }
    }

    /**
     * The creator gives up an entry that was never published (its watch or registration
     * failed, or another thread's entry won), deregistering its registration if it has one.
     */
    private void abandon(CacheEntry e) {
        if (!e.watched) {
            return;
        }
        long previous = e.tryDetach();
        e.unpin();
        if (previous != CacheEntry.NOT_DETACHED) {
            // Nobody else ever saw it: unlink it here, without counting an eviction.
            e.deregisterOnUnlink = e.registration != null;
            unlink(e);
        } else {
            // Detached by an invalidation or close() while we held it: counted as in use.
            stats.detachedReleased(e.bytes());
            if (e.registration != null) {
                registrar.deregister(e.registration);
            }
            processUnlinks();
        }
    }

    /** Called by {@link CachedHandle#close()} exactly once per pin. */
    void release(CacheEntry e) {
        long state = e.unpin();
        if (CacheEntry.refs(state) != 0) {
            return;
        }
        if (CacheEntry.isDetached(state)) {
            stats.detachedReleased(e.bytes());
            registrar.deregister(e.registration);
        } else if ((state & CacheEntry.UNTRACKED) != 0) {
            reoffer(e);
        } else if (liveBytes.get() > maxPinnedBytes || liveEntries.get() > maxEntries) {
            // Over a limit because of entries in use; now one of them is idle.
            enforceLimits();
            processUnlinks();
        }
    }

    /** Puts an entry Caffeine dropped while it was in use back under Caffeine's control. */
    private void reoffer(CacheEntry e) {
        if (!e.clearUntrackedIfIdle()) {
            return;
        }
        policy.put(e.key, e);
        if (e.isDetached()) {
            policy.asMap().remove(e.key, e);
        }
        enforceLimits();
        processUnlinks();
    }

    private void recordAccess(CacheEntry e) {
        policy.getIfPresent(e.key);
        if (!unlinkQueue.isEmpty()) {
            processUnlinks();
        }
    }

    /** Caffeine's synchronous eviction listener: state flips and queueing only. */
    private void onPolicyEviction(CacheEntry e, RemovalCause cause) {
        if (e == null || cause != RemovalCause.SIZE) {
            return;
        }
        long previous = e.evictOrUntrack();
        if (previous != CacheEntry.NOT_DETACHED) {
            afterDetach(e, previous, EvictionCause.CAPACITY);
        }
    }

    /** Bookkeeping after this thread detached {@code e}; queues it for unlinking. */
    private void afterDetach(CacheEntry e, long previous, EvictionCause cause) {
        stats.evicted(cause);
        if ((previous & CacheEntry.INDEXED) != 0) {
            liveEntries.decrementAndGet();
            liveBytes.addAndGet(-e.bytes());
        }
        boolean idle = CacheEntry.refs(previous) == 0;
        if (!idle) {
            stats.detachedInUse(e.bytes());
        }
        e.deregisterOnUnlink = idle;
        unlinkQueue.offer(e);
    }

    /** Unwatches, unindexes and (if idle) deregisters detached entries; no lock held. */
    private void processUnlinks() {
        CacheEntry e;
        while ((e = unlinkQueue.poll()) != null) {
            unlink(e);
        }
    }

    private void unlink(CacheEntry e) {
        index.remove(e);
        memo.forget(e.start, e);
        policy.asMap().remove(e.key, e);
        if (e.watched) {
            source.unwatch(e.cookie);
        }
        e.takeHits(stats); // before leaving entries: see StatsRecorder
        entries.remove(e.key, e);
        if (e.deregisterOnUnlink) {
            registrar.deregister(e.registration);
        }
    }

    /** Evicts the coldest idle entries while the live entries exceed either limit. */
    private void enforceLimits() {
        long excessEntries = liveEntries.get() - maxEntries;
        long excessBytes = liveBytes.get() - maxPinnedBytes;
        if (excessEntries <= 0 && excessBytes <= 0) {
            return;
        }
        Policy.Eviction<Long, CacheEntry> eviction = policy.policy().eviction().orElseThrow();
        List<CacheEntry> victims = eviction.coldest(
                coldestFirst -> idleCovering(coldestFirst, excessEntries, excessBytes));
        for (CacheEntry victim : victims) {
            long previous = victim.tryDetachIfIdle();
            if (previous != CacheEntry.NOT_DETACHED) {
                afterDetach(victim, previous, EvictionCause.CAPACITY);
            }
        }
    }

    private static List<CacheEntry> idleCovering(
            Stream<Policy.CacheEntry<Long, CacheEntry>> coldestFirst, long entries, long bytes) {
        List<CacheEntry> picked = new ArrayList<>();
        long count = 0;
        long size = 0;
        Iterator<Policy.CacheEntry<Long, CacheEntry>> it = coldestFirst.iterator();
        while ((count < entries || size < bytes) && it.hasNext()) {
            CacheEntry e = it.next().getValue();
            long s = e.stateVolatile();
            if (!CacheEntry.isDetached(s) && CacheEntry.refs(s) == 0) {
                picked.add(e);
                count++;
                size += e.bytes();
            }
        }
        return picked;
    }

    private int evictIdle(EvictionCause cause) {
        int evicted = 0;
        for (CacheEntry e : entries.values()) {
            long previous = e.tryDetachIfIdle();
            if (previous != CacheEntry.NOT_DETACHED) {
                afterDetach(e, previous, cause);
                evicted++;
            }
        }
        processUnlinks();
        return evicted;
    }

    @Override
    public int invalidate(long address, long length) {
        long end = geometry.checkedEnd(address, length);
        int[] invalidated = {0};
        index.forEachOverlapping(address, end, e -> {
            long previous = e.tryDetach();
            if (previous != CacheEntry.NOT_DETACHED) {
                afterDetach(e, previous, EvictionCause.EXPLICIT);
                invalidated[0]++;
            }
        });
        processUnlinks();
        return invalidated[0];
    }

    @Override
    public int flushIdle() {
        return evictIdle(EvictionCause.EXPLICIT);
    }

    @Override
    public CacheStats stats() {
        return stats.snapshot().withSourceView(source);
    }

    /** The hits counted in the state words of the entries not yet unlinked. */
    private long liveHits() {
        long sum = 0;
        for (CacheEntry e : entries.values()) {
            sum += CacheEntry.hits(e.stateVolatile());
        }
        return sum;
    }

    @Override
    public void invalidated(long cookie) {
        stats.invalidationReceived();
        CacheEntry e = entries.get(cookie);
        if (e != null) {
            long previous = e.tryDetach();
            if (previous != CacheEntry.NOT_DETACHED) {
                afterDetach(e, previous, EvictionCause.INVALIDATION);
            }
        }
    }

    @Override
    public void invalidatedAll() {
        stats.invalidationReceived();
        for (CacheEntry e : entries.values()) {
            long previous = e.tryDetach();
            if (previous != CacheEntry.NOT_DETACHED) {
                afterDetach(e, previous, EvictionCause.INVALIDATION);
            }
        }
    }

    @Override
    public void drainCompleted() {
        processUnlinks();
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        closed = true;
        for (CacheEntry e : entries.values()) {
            long previous = e.tryDetach();
            if (previous != CacheEntry.NOT_DETACHED) {
                afterDetach(e, previous, EvictionCause.EXPLICIT);
            }
        }
        processUnlinks();
        policy.invalidateAll();
        policy.cleanUp();
        source.close();
    }

    private static CacheClosedException closedException() {
        return new CacheClosedException("the registration cache is closed: acquire() after close()");
    }

    private static RuntimeException closedException(Throwable cause) {
        CacheClosedException e = closedException();
        e.initCause(cause);
        return e;
    }

    private static String range(long start, long bytes) {
        return "[0x" + Long.toHexString(start) + ", +" + bytes + ")";
    }

    @Override
    public String toString() {
        return "RegistrationCache{source=" + source + ", maxPinnedBytes=" + maxPinnedBytes
                + ", maxEntries=" + maxEntries + ", " + stats.snapshot() + "}";
    }
}
