package org.regcache.api;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.jetbrains.lincheck.datastructures.Validate;
import org.jetbrains.lincheck.datastructures.verifier.EpsilonVerifier;
import org.junit.jupiter.api.Test;

/**
 * Model check (Lincheck) of the index's publication protocol: {@link LookupMemo} and {@link
 * ChunkIndex} lookups ({@code findAndPin}), the miss path's {@code insertOrPinCovering} with its
 * loser dropping its own entry, {@code markIndexed} and the unlink of invalidated entries
 * ({@code remove}, {@code forget}), from three threads, every interleaving Lincheck explores
 * within its bounds. The operations follow {@link CachingRegistrationCache}'s acquire, release
 * and invalidate step by step, without Caffeine.
 *
 * <p>The oracle, checked on every lookup and after every invocation (a cache makes no promise
 * of linearizable hits: a lookup racing with an insertion may miss and register again):
 * <ul>
 * <li>a lookup returns only a published entry (its registration set before it was indexed)
 *     that covers the request, pinned while not detached;
 * <li>no registration is deregistered while a handle holds it, none twice, and every one
 *     exactly when its entry is detached with no handle;
 * <li>after a thread's invalidation of a range returned, that thread never gets an entry that
 *     was in the index, overlapping the range, when the invalidation began.
 * </ul>
 * And every operation is obstruction-free (no lock, no wait for another thread). Bounded by
 * scenarios and invocations, never by time; {@code -Dmodelcheck.scale=N} tries N times as many
 * scenarios.
 */
@Param(name = "range", gen = IntGen.class, conf = "0:3")
public class ChunkIndexPublicationModelCheckTest {
    private static final long PAGE = 4096;
    private static final long CHUNK = 1L << ChunkIndex.CHUNK_SHIFT;
    private static final int MAX_THREAD_IDS = 8;
    private static final int MAX_ENTRIES = 64;

    private final ChunkIndex index = new ChunkIndex();
    private final LookupMemo memo = new LookupMemo(2, 12); // 4 slots: pages share them
    private final StatsRecorder stats = new StatsRecorder(() -> 0);
    private final AtomicLong clock = new AtomicLong();
    private final AtomicLong nextCookie = new AtomicLong();
    /** Clock value after each entry's insertion returned, by cookie; 0 until then. */
    private final long[] insertedAt = new long[MAX_ENTRIES];
    /** Whether each entry's registration was deregistered, by cookie. */
    private final boolean[] deregistered = new boolean[MAX_ENTRIES];
    /** Entries created, by Lincheck thread id; each written by its own thread only. */
    private final List<List<CacheEntry>> created = new ArrayList<>();
    /** The first rule broken (lock-free: the test checks obstruction freedom). */
    private final AtomicReference<String> violation = new AtomicReference<>();
    /** Handles held, by Lincheck thread id; each written by its own thread only. */
    private final List<ArrayDeque<CacheEntry>> held = new ArrayList<>();
    /** Each thread's returned invalidations: {range, clock before it began}. */
    private final List<List<long[]>> invalidatedBy = new ArrayList<>();

    public ChunkIndexPublicationModelCheckTest() {
        for (int t = 0; t < MAX_THREAD_IDS; t++) {
            held.add(new ArrayDeque<>());
            invalidatedBy.add(new ArrayList<>());
            created.add(new ArrayList<>());
        }
    }

    /** The cache's acquire: memo, index, else register and publish (or pin the winner's). */
    @Operation
    public void acquire(@Param(gen = ThreadIdGen.class) int thread,
            @Param(name = "range") int range) {
        try {
            acquire(thread, start(range), end(range));
        } catch (RuntimeException | Error e) {
            violate("acquire threw " + e);
        }
    }

    private void acquire(int thread, long start, long end) {
        CacheEntry hit = memo.findAndPin(start, end, 0, stats);
        if (hit == null) {
            hit = index.findAndPin(start, end, 0, stats);
            if (hit != null) {
                memo.rememberRelease(start, hit);
            }
        }
        if (hit == null) {
            hit = miss(thread, start, end);
        }
        checkHandedOut(thread, hit, start, end);
        held.get(thread).add(hit);
    }

    /** The miss path: a new entry, registered, then inserted unless a covering one won. */
    private CacheEntry miss(int thread, long start, long end) {
        CacheEntry e = new CacheEntry(nextCookie.incrementAndGet(), start, end,
                (int) ((end - start) / PAGE), true, 1);
        created.get(thread).add(e);
        e.registration = new FakeRegistrar.FakeRegistration(start, end - start, Set.of(), 0,
                null, null);
        e.accessMask = 0;
        CacheEntry winner = index.insertOrPinCovering(e);
        if (winner != null) {
            // abandon(): nobody else ever saw our entry
            if (e.tryDetach() == CacheEntry.NOT_DETACHED) {
                violate("an entry nobody else saw was detached by someone else");
            }
            e.unpin();
            deregister(e);
            memo.rememberRelease(start, winner);
            return winner;
        }
        insertedAt[(int) e.cookie] = clock.incrementAndGet();
        if (!e.markIndexed()) {
            // invalidated between insertion and markIndexed: the caller's own, detached
            index.remove(e);
            return e;
        }
        memo.rememberRelease(start, e);
        return e;
    }

    /** A handle's close(); the last release of a detached entry deregisters. */
    @Operation
    public void release(@Param(gen = ThreadIdGen.class) int thread) {
        try {
            releaseOldest(thread);
        } catch (RuntimeException | Error e) {
            violate("release threw " + e);
        }
    }

    private void releaseOldest(int thread) {
        CacheEntry e = held.get(thread).poll();
        if (e == null) {
            return;
        }
        if (deregistered[(int) e.cookie]) {
            violate("deregistered while a handle held it: " + e);
        }
        long state = e.unpin();
        if (CacheEntry.refs(state) == 0 && CacheEntry.isDetached(state)) {
            deregister(e);
        }
    }

    /** The cache's invalidate(): detach every overlapping entry, unlink it at once. */
    @Operation
    public void invalidate(@Param(gen = ThreadIdGen.class) int thread,
            @Param(name = "range") int range) {
        try {
            invalidate(thread, start(range), end(range));
        } catch (RuntimeException | Error e) {
            violate("invalidate threw " + e);
        }
    }

    private void invalidate(int thread, long start, long end) {
        long began = clock.incrementAndGet();
        index.forEachOverlapping(start, end, e -> {
            long previous = e.tryDetach();
            if (previous != CacheEntry.NOT_DETACHED) {
                index.remove(e);
                memo.forget(e.start, e);
                if (CacheEntry.refs(previous) == 0) {
                    deregister(e);
                }
            }
        });
        invalidatedBy.get(thread).add(new long[] {start, end, began});
    }

    /**
     * The ranges, by generator value (computed, not read from an array: no shared-memory
     * access for the checker to switch at): 0, the last two pages of chunk 0; 1, the pages
     * either side of the chunk boundary; 2, both (covers 0 and 1); 3, the first page of chunk 1
     * (covered by 1 and 2).
     */
    private static long start(int range) {
        return range == 3 ? CHUNK : range == 1 ? CHUNK - PAGE : CHUNK - 2 * PAGE;
    }

    private static long end(int range) {
        return range == 0 ? CHUNK : CHUNK + PAGE;
    }

    private void checkHandedOut(int thread, CacheEntry e, long start, long end) {
        if (e.registration == null) {
            violate("handed out an entry before its registration was published: " + e);
            return;
        }
        if (!e.covers(start, end, 0)) {
            violate("handed out " + e + " for [" + start + ", " + end + ")");
        }
        if (deregistered[(int) e.cookie]) {
            violate("handed out an entry whose registration was deregistered: " + e);
        }
        long inserted = insertedAt[(int) e.cookie];
        for (long[] inv : invalidatedBy.get(thread)) {
            if (inv[0] < e.end && e.start < inv[1] && inserted != 0 && inserted < inv[2]) {
                violate("handed out " + e + ", indexed before an invalidation of ["
                        + inv[0] + ", " + inv[1] + ") that this thread saw return");
            }
        }
    }

    private void deregister(CacheEntry e) {
        long s = e.stateVolatile();
        if (!CacheEntry.isDetached(s) || CacheEntry.refs(s) != 0) {
            violate("deregistered " + e + ": not detached, or a handle holds it");
        }
        if (deregistered[(int) e.cookie]) {
            violate("deregistered twice: " + e);
        }
        deregistered[(int) e.cookie] = true;
    }

    private void violate(String what) {
        violation.compareAndSet(null, what);
    }

    /** After every invocation: nothing violated, each registration deregistered iff due. */
    @Validate
    public void publicationRulesHeld() {
        if (violation.get() != null) {
            throw new AssertionError(violation.get());
        }
        List<CacheEntry> entries = new ArrayList<>();
        for (List<CacheEntry> byThread : created) {
            entries.addAll(byThread);
        }
        for (CacheEntry e : entries) {
            long s = e.stateVolatile();
            boolean due = CacheEntry.isDetached(s) && CacheEntry.refs(s) == 0;
            if (due != deregistered[(int) e.cookie]) {
                throw new AssertionError((due ? "never deregistered: " : "deregistered early: ")
                        + e);
            }
        }
    }

    @Test
    void lookupsReturnOnlyPublishedLiveEntriesAndInvalidationsDetachWhatWasIndexed() {
        new ModelCheckingOptions()
                .verifier(EpsilonVerifier.class) // the oracle is publicationRulesHeld()
                .checkObstructionFreedom(true)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(1)
                .iterations(30 * Integer.getInteger("modelcheck.scale", 1))
                .invocationsPerIteration(20)
                .check(getClass());
    }
}
