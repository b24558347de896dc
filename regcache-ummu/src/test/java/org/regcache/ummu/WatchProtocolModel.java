package org.regcache.ummu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.jetbrains.lincheck.datastructures.Validate;
import org.regcache.api.InvalidationSink;
import org.regcache.api.RegistrationException;

/**
 * {@link UmmunotifyInvalidationSource} over {@link ModelCheckedDevice} (the driver's model,
 * invalidations in progress included), driven as the cache drives it, with the oracle of
 * {@code InvalidationSource.watch}: the operations of a Lincheck model check, and of the
 * scenario tests in {@link WatchProtocolModelCheckTest}.
 *
 * <p>Operations: {@link #watch} a range under a new cookie; {@link #unwatch} one (an eviction);
 * {@link #drain} as an acquire does (only if the counter moved); {@link #invalidateStart} and
 * {@link #invalidateEnd} of a range ({@code invalidate_range_start}, then the pages change,
 * then {@code _end}: a {@code munmap()} in progress in between, while other threads run). The
 * sink acts as the cache: an {@code invalidated(cookie)} detaches the entry, whose watch is
 * ended by the next {@code drainCompleted()}, even while its {@code watch()} is still in flight.
 *
 * <p><b>Oracle</b> ({@link #everyInvalidationReported}, after every run): once the invalidations
 * still in progress ended and a drain completed, the sink received {@code invalidated(cookie)}
 * for every watch whose range an invalidation hit and that was watching when it ended: its
 * {@code watch()} returned before the end began, its {@code unwatch()} (if any) began after the
 * end returned (both instants taken on one clock, conservatively, so no false alarm). This is
 * the promise the cache builds on: a watch that returned while an invalidation was in progress
 * (a REGISTER racing with it, or a registration adopted without one) pins possibly the old
 * pages, and only the report saves it. And the device holds one registration per watch not
 * ended, plus the parked ones: no REGISTER leaked, none missing.
 */
@Param(name = "range", gen = IntGen.class, conf = "0:1")
public class WatchProtocolModel {
    static final long PAGE = 4096;
    private static final int MAX_THREAD_IDS = 8;
    /** More than the watches of any scenario here. */
    private static final int MAX_COOKIES = 32;

    /** One watch of the cache, and the clock when its watch() returned, its unwatch() began. */
    private static final class WatchRecord {
        final long cookie;
        final int range;
        volatile long returned;
        volatile long unwatchBegan;
        final AtomicBoolean unwatched = new AtomicBoolean();
        volatile boolean delivered;

        WatchRecord(long cookie, int range) {
            this.cookie = cookie;
            this.range = range;
        }
    }

    /** One invalidation, and the clock before its end began and after it returned. */
    private static final class InvalidationRecord {
        final int range;
        final ModelCheckedDevice.Active inProgress;
        long endBegan;
        long endReturned;

        InvalidationRecord(int range, ModelCheckedDevice.Active inProgress) {
            this.range = range;
            this.inProgress = inProgress;
        }
    }

    final ModelCheckedDevice device;
    final UmmunotifyInvalidationSource source;
    private final AtomicLong clock = new AtomicLong();
    /** The first operation that threw, or an impossible delivery. */
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicLong nextCookie = new AtomicLong();
    private final WatchRecord[] byCookie = new WatchRecord[MAX_COOKIES];
    /** By Lincheck thread id, each written by its own thread only (and by the final check). */
    private final List<List<WatchRecord>> watchesBy = new ArrayList<>();
    private final InvalidationRecord[] inProgressBy = new InvalidationRecord[MAX_THREAD_IDS];
    private final List<List<InvalidationRecord>> endedBy = new ArrayList<>();

    /**
     * @param reportsAtEnd      whether the device agreed to UMMUNOTIFY_FEATURE_REPORT_AT_END
     * @param keptRegistrations what the source is asked to keep (it keeps none without the
     *                          feature)
     */
    WatchProtocolModel(boolean reportsAtEnd, int keptRegistrations) {
        this(reportsAtEnd, keptRegistrations, 0);
    }

    /**
     * @param reportsAtEnd      whether the device agreed to UMMUNOTIFY_FEATURE_REPORT_AT_END
     * @param keptRegistrations what the source is asked to keep (it keeps none without the
     *                          feature)
     * @param ringEntries       the device's event ring, in entries (0: none; the source then
     *                          read()s only)
     */
    WatchProtocolModel(boolean reportsAtEnd, int keptRegistrations, int ringEntries) {
        device = new ModelCheckedDevice(reportsAtEnd, ringEntries);
        source = new UmmunotifyInvalidationSource(device, false, keptRegistrations);
        source.start(new CacheLikeSink());
        for (int t = 0; t < MAX_THREAD_IDS; t++) {
            watchesBy.add(new ArrayList<>());
            endedBy.add(new ArrayList<>());
        }
    }

    // Each operation records what it throws as a failure (Lincheck would take it as a result).
    // No lambdas: Lincheck cannot see the fields of a lambda's hidden class, and an object
    // reachable only through one could pass for thread-local and go unexplored.

    /** The cache's miss: watch the range under a new cookie before registering it. */
    @Operation
    public void watch(@Param(gen = ThreadIdGen.class) int thread,
            @Param(name = "range") int range) {
        try {
            WatchRecord w = new WatchRecord(nextCookie.incrementAndGet(), range);
            byCookie[(int) w.cookie] = w;
            source.watch(w.cookie, start(range), end(range) - start(range));
            w.returned = clock.incrementAndGet();
            watchesBy.get(thread).add(w);
        } catch (RegistrationException | RuntimeException | Error e) {
            fail("watch threw " + e);
        }
    }

    /** An eviction: ends the oldest watch of this thread still watching. */
    @Operation
    public void unwatch(@Param(gen = ThreadIdGen.class) int thread) {
        try {
            for (WatchRecord w : watchesBy.get(thread)) {
                if (unwatchOnce(w)) {
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            fail("unwatch threw " + e);
        }
    }

    /** The acquire's check: drain only when the counter moved. */
    @Operation
    public void drain() {
        try {
            if (source.hasPendingInvalidations()) {
                source.drain();
            }
        } catch (RuntimeException | Error e) {
            fail("drain threw " + e);
        }
    }

    /** invalidate_range_start of a munmap() on this thread (none if one is in progress). */
    @Operation
    public void invalidateStart(@Param(gen = ThreadIdGen.class) int thread,
            @Param(name = "range") int range) {
        try {
            if (inProgressBy[thread] == null) {
                inProgressBy[thread] = new InvalidationRecord(range,
                        device.start(start(range), end(range)));
            }
        } catch (RuntimeException | Error e) {
            fail("invalidateStart threw " + e);
        }
    }

    /** The pages changed; invalidate_range_end of this thread's munmap(), which returns. */
    @Operation
    public void invalidateEnd(@Param(gen = ThreadIdGen.class) int thread) {
        try {
            InvalidationRecord inv = inProgressBy[thread];
            if (inv == null) {
                return;
            }
            inProgressBy[thread] = null;
            inv.endBegan = clock.incrementAndGet();
            device.end(inv.inProgress);
            inv.endReturned = clock.incrementAndGet();
            endedBy.get(thread).add(inv);
        } catch (RuntimeException | Error e) {
            fail("invalidateEnd threw " + e);
        }
    }

    private void fail(String what) {
        failure.compareAndSet(null, what);
    }

    /**
     * The two ranges, by generator value, overlapping: pages [16, 18) and [17, 19). Computed,
     * not read from an array: no shared-memory access for the checker to switch at.
     */
    private static long start(int range) {
        return (16 + range) * PAGE;
    }

    private static long end(int range) {
        return (18 + range) * PAGE;
    }

    /** Unwatches {@code w} unless someone did: {@return whether this call did} */
    private boolean unwatchOnce(WatchRecord w) {
        if (!w.unwatched.compareAndSet(false, true)) {
            return false;
        }
        w.unwatchBegan = clock.incrementAndGet();
        source.unwatch(w.cookie);
        return true;
    }

    /**
     * The oracle (see the class comment): ends what is in progress, drains, checks every
     * invalidation against every watch, then counts the device's registrations.
     */
    @Validate
    public void everyInvalidationReported() {
        for (int t = 0; t < MAX_THREAD_IDS; t++) {
            invalidateEnd(t);
        }
        drain();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        List<WatchRecord> watches = new ArrayList<>();
        List<InvalidationRecord> ended = new ArrayList<>();
        for (int t = 0; t < MAX_THREAD_IDS; t++) {
            watches.addAll(watchesBy.get(t));
            ended.addAll(endedBy.get(t));
        }
        for (InvalidationRecord inv : ended) {
            for (WatchRecord w : watches) {
                boolean hit = start(inv.range) < end(w.range) && start(w.range) < end(inv.range);
                boolean watching = w.returned < inv.endBegan
                        && (w.unwatchBegan == 0 || w.unwatchBegan > inv.endReturned);
                if (hit && watching && !w.delivered) {
                    throw new AssertionError("an invalidation of range " + inv.range
                            + " ended while cookie " + w.cookie + " watched range " + w.range
                            + ", and the sink never received invalidated(" + w.cookie
                            + "): its entry keeps the old pages (" + source + ")");
                }
            }
        }
        int watching = 0;
        for (WatchRecord w : watches) {
            watching += w.unwatchBegan == 0 ? 1 : 0;
        }
        if (device.registrations() != watching + source.keptRegistrations()) {
            throw new AssertionError(watching + " watches, " + source.keptRegistrations()
                    + " registrations kept, but the device holds " + device.registrations()
                    + ": a REGISTER leaked, or a watch has none (" + source + ")");
        }
    }

    /** The cache's side: detach on invalidated(), end the watch at drainCompleted(). */
    private final class CacheLikeSink implements InvalidationSink {
        @Override
        public void invalidated(long cookie) {
            WatchRecord w = cookie < MAX_COOKIES ? byCookie[(int) cookie] : null;
            if (w == null) {
                fail("invalidated(" + cookie + "): never watched");
            } else {
                w.delivered = true;
            }
        }

        @Override
        public void invalidatedAll() {
            for (int c = 1; c <= nextCookie.get(); c++) {
                if (byCookie[c] != null) {
                    byCookie[c].delivered = true;
                }
            }
        }

        @Override
        public void drainCompleted() {
            for (int c = 1; c <= nextCookie.get(); c++) {
                if (byCookie[c] != null && byCookie[c].delivered) {
                    unwatchOnce(byCookie[c]);
                }
            }
        }
    }
}
