package org.regcache.api;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Model check (Lincheck) of {@link CacheEntry}'s state word: the transitions the cache makes
 * (pin, release, invalidate, detach-if-idle, Caffeine's evict-or-untrack, markIndexed, the
 * re-offer of an untracked entry) from three threads, every interleaving Lincheck explores
 * within its bounds.
 *
 * <p>Two oracles. Linearizability against {@link Life}, a sequential model of the entry's life
 * (every transition is one CAS, so each call must look atomic). And the ownership rules the
 * cache builds on the word, checked at every step: the registration is deregistered exactly
 * once, by the party that made the entry detached with no handle or that dropped the last
 * handle of a detached entry, never while a handle holds it; a detached entry cannot be
 * pinned. Deregistering is done here as the cache does it, by whoever the word names owner.
 * And every transition is obstruction-free (no lock, no wait for another thread).
 *
 * <p>Bounded by scenarios and invocations (the Lincheck bounds below), never by time; {@code
 * -Dmodelcheck.scale=N} tries N times as many scenarios.
 */
public class CacheEntryStateWordModelCheckTest {
    /** Pins are tracked per Lincheck thread id (the parallel threads, and the init/post part). */
    private static final int MAX_THREAD_IDS = 8;

    private final CacheEntry entry = new CacheEntry(1, 0x1000, 0x3000, 2, true, 0);
    private final StatsRecorder stats = new StatsRecorder(() -> 0);
    /** Handles held, by Lincheck thread id; each slot written by its own thread only. */
    private final int[] pins = new int[MAX_THREAD_IDS];
    private final AtomicInteger deregistrations = new AtomicInteger();
    /** The first ownership rule broken (lock-free: the test checks obstruction freedom). */
    private final AtomicReference<String> violation = new AtomicReference<>();

    /** {@link CacheEntry#tryPin} counting a hit, as a lookup does. */
    @Operation
    public boolean pin(@Param(gen = ThreadIdGen.class) int thread) {
        if (!entry.tryPin(true, stats)) {
            return false;
        }
        pins[thread]++;
        if (deregistrations.get() != 0) {
            violate("pinned an entry whose registration was deregistered");
        }
        return true;
    }

    /** A handle's close(): unpins; the last release of a detached entry deregisters. */
    @Operation
    public String release(@Param(gen = ThreadIdGen.class) int thread) {
        if (pins[thread] == 0) {
            return "no handle";
        }
        pins[thread]--;
        long state = entry.unpin();
        if (CacheEntry.refs(state) == 0 && CacheEntry.isDetached(state)) {
            deregister();
            return "released, deregistered";
        }
        return "released";
    }

    /** An invalidation (or close()): detaches in whatever use; idle, the detacher deregisters. */
    @Operation
    public String invalidate() {
        return ownDetach(entry.tryDetach());
    }

    /** Capacity eviction of idle entries ({@code enforceLimits}, {@code flushIdle}). */
    @Operation
    public String detachIfIdle() {
        return ownDetach(entry.tryDetachIfIdle());
    }

    /** Caffeine's eviction listener: detaches an idle entry, flags one in use UNTRACKED. */
    @Operation
    public String evictOrUntrack() {
        return ownDetach(entry.evictOrUntrack());
    }

    /** The creator counts the entry in the index, unless it was detached meanwhile. */
    @Operation
    public boolean markIndexed() {
        return entry.markIndexed();
    }

    /** The last release of an UNTRACKED entry offers it to Caffeine again. */
    @Operation
    public boolean reoffer() {
        return entry.clearUntrackedIfIdle();
    }

    /** The hits counted in the word (moved to the recorder only at 2^35 or at unlink). */
    @Operation
    public long hits() {
        return CacheEntry.hits(entry.stateVolatile());
    }

    private String ownDetach(long previous) {
        if (previous == CacheEntry.NOT_DETACHED) {
            return "not detached by this call";
        }
        if (CacheEntry.refs(previous) == 0) {
            deregister();
            return "detached idle, deregistered";
        }
        return "detached in use";
    }

    private void deregister() {
        long s = entry.stateVolatile();
        if (!CacheEntry.isDetached(s) || CacheEntry.refs(s) != 0) {
            violate("deregistered in state " + Long.toHexString(s)
                    + ": not detached, or a handle still holds it");
        }
        if (deregistrations.incrementAndGet() != 1) {
            violate("deregistered twice");
        }
    }

    private void violate(String what) {
        violation.compareAndSet(null, what);
    }

    /** After every invocation: no rule broken, and deregistered iff detached with no handle. */
    @Validate
    public void ownershipRulesHeld() {
        if (violation.get() != null) {
            throw new AssertionError(violation.get() + " at " + entry);
        }
        long s = entry.stateVolatile();
        int expected = CacheEntry.isDetached(s) && CacheEntry.refs(s) == 0 ? 1 : 0;
        if (deregistrations.get() != expected) {
            throw new AssertionError(deregistrations.get() + " deregistrations, expected "
                    + expected + " at " + entry);
        }
    }

    @Test
    void stateWordTransitionsAreLinearizableAndDeregisterExactlyOnce() {
        new ModelCheckingOptions()
                .sequentialSpecification(Life.class)
                .checkObstructionFreedom(true)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .iterations(50 * Integer.getInteger("modelcheck.scale", 1))
                .invocationsPerIteration(50)
                .check(getClass());
    }

    /** The sequential specification: the entry's life as plain fields. */
    public static final class Life {
        private final int[] pins = new int[MAX_THREAD_IDS];
        private int refs;
        private long hits;
        private boolean detached;
        private boolean untracked;
        private boolean indexed;

        public boolean pin(int thread) {
            if (detached) {
                return false;
            }
            refs++;
            hits++;
            pins[thread]++;
            return true;
        }

        public String release(int thread) {
            if (pins[thread] == 0) {
                return "no handle";
            }
            pins[thread]--;
            refs--;
            return refs == 0 && detached ? "released, deregistered" : "released";
        }

        public String invalidate() {
            if (detached) {
                return "not detached by this call";
            }
            detached = true;
            return refs == 0 ? "detached idle, deregistered" : "detached in use";
        }

        public String detachIfIdle() {
            if (detached || refs != 0) {
                return "not detached by this call";
            }
            detached = true;
            return "detached idle, deregistered";
        }

        public String evictOrUntrack() {
            if (detached) {
                return "not detached by this call";
            }
            if (refs != 0) {
                untracked = true;
                return "not detached by this call";
            }
            detached = true;
            return "detached idle, deregistered";
        }

        public boolean markIndexed() {
            if (detached) {
                return false;
            }
            indexed = true;
            return true;
        }

        public boolean reoffer() {
            if (detached || refs != 0 || !untracked) {
                return false;
            }
            untracked = false;
            return true;
        }

        public long hits() {
            return hits;
        }

        // Lincheck compares states of the specification to prune its search.
        @Override
        public boolean equals(Object o) {
            return o instanceof Life l && refs == l.refs && hits == l.hits
                    && detached == l.detached && untracked == l.untracked
                    && indexed == l.indexed && Arrays.equals(pins, l.pins);
        }

        @Override
        public int hashCode() {
            return Objects.hash(refs, hits, detached, untracked, indexed,
                    Arrays.hashCode(pins));
        }
    }
}
