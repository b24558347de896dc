package org.regcache.ummu;

import com.sun.jna.Memory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.regcache.api.RegistrationException;
import org.regcache.ummu.internal.LibC;

/**
 * A Java model of the ummunotify driver (kernel/ummunotify_main.c) with invalidations in
 * progress: registrations by cookie, a queue of INVAL events with hints (a second hit merges
 * and drops the hint), a counter in native memory read through {@link CounterPage} like the
 * mapped page, LAST events, EAGAIN when not readable.
 *
 * <p>An invalidation takes the kernel's steps: {@link #start} ({@code invalidate_range_start}:
 * every registration it hits gets an event queued or merged, the counter moves once, the
 * invalidation is recorded as in progress), then the caller changes the pages, then {@link
 * #end} ({@code invalidate_range_end}). While it is in progress, {@link #registerRegion} queues an
 * event for a new registration it hits at once and moves the counter (the kernel's {@code
 * active[]} check). With {@code UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES} agreed, an invalidation
 * that keeps the pages ({@link #startSamePages}) is skipped: no event, no counter move, none
 * at REGISTER, none at its end. With {@code UMMUNOTIFY_FEATURE_REPORT_AT_END} agreed, the end
 * of a reported invalidation queues an event again for every registration it hits that has
 * none queued, and moves the counter once if it queued any; like the kernel, only if some
 * INVAL was read since the start (otherwise none can be missing). Not modelled: the kernel's
 * bound on tracked invalidations ({@code nr_untracked}), which reports every registration made
 * meanwhile, and read()'s put-back after a failed copy.
 *
 * <p><b>Pause points.</b> A {@link StepListener} is called, outside the device's lock and on
 * the thread taking the step, at each {@link Step}: between the steps the real driver takes
 * without holding its lock, so that a test can make another thread act there (latches,
 * phasers), and a randomized test can act there itself.
 *
 * <p>Thread safe: every state change happens under the object's monitor.
 */
class FakeUmmunotifyDevice implements UmmunotifyDevice {

    /** The points between the driver's steps where {@link StepListener} is called. */
    enum Step {
        /** registerRegion() was called: the registration has not taken effect in the kernel yet. */
        REGISTERING,
        /**
         * registerRegion(): the registration took effect in the kernel (its event queued if an
         * invalidation in progress hits it); the ioctl has not returned.
         */
        REGISTERED,
        /** start(): its events are queued and the counter moved; the pages have not changed. */
        STARTED,
        /** end() is called: the pages changed, the end callback has not run. */
        ENDING,
        /** read(): events were taken off the queue; read() has not returned them yet. */
        READ
    }

    /** Told of each {@link Step}; may block (no lock of the device is held). */
    @FunctionalInterface
    interface StepListener {
        /**
         * @param step  the step just taken
         * @param start the range being registered or invalidated (0 for READ)
         * @param end   its end, exclusive (0 for READ)
         */
        void reached(Step step, long start, long end);
    }

    /** An invalidation between its start and its end: the kernel's entry in {@code active[]}. */
    static final class Invalidation {
        final long start;
        final long end;
        /** Reported at all: not skipped as a same-page invalidation. */
        final boolean reported;
        /** INVAL events read before it started. */
        final long readsAtStart;

        private Invalidation(long start, long end, boolean reported, long readsAtStart) {
            this.start = start;
            this.end = end;
            this.reported = reported;
            this.readsAtStart = readsAtStart;
        }

        boolean hits(long[] range) {
            return range[0] < end && start < range[1];
        }
    }

    private final Memory page = new Memory(4096);
    private final CounterPage counter;
    private final boolean skipsSamePages;
    private final boolean reportsAtEnd;
    private final Map<Long, long[]> registrations = new HashMap<>();
    /** Queued events by cookie, in queue order: {hintStart, hintEnd, hint ? 1 : 0}. */
    private final LinkedHashMap<Long, long[]> queue = new LinkedHashMap<>();
    private final List<Invalidation> active = new ArrayList<>();
    private long reported;
    /** INVAL events taken off the queue by read(), ever (the kernel's nr_reads). */
    private long invalsRead;
    private long filtered;
    private long reportedAtEnd;
    private int maxRegions = Integer.MAX_VALUE;
    private volatile StepListener listener = (step, start, end) -> { };
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger registerCalls = new AtomicInteger();
    volatile boolean closed;

    /** A device that agreed to REPORT_AT_END only, as the current module does when asked. */
    FakeUmmunotifyDevice() {
        this(false);
    }

    /** A device that agreed to REPORT_AT_END, and to SKIP_SAME_PAGES if {@code skipsSamePages}. */
    FakeUmmunotifyDevice(boolean skipsSamePages) {
        this(skipsSamePages, true);
    }

    /**
     * A device that agreed to UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES when {@code skipsSamePages},
     * and to UMMUNOTIFY_FEATURE_REPORT_AT_END when {@code reportsAtEnd} (an older module: not).
     */
    FakeUmmunotifyDevice(boolean skipsSamePages, boolean reportsAtEnd) {
        this.skipsSamePages = skipsSamePages;
        this.reportsAtEnd = reportsAtEnd;
        page.clear();
        counter = new CounterPage(page);
    }

    /** Calls {@code listener} at every {@link Step} from now on. */
    void onStep(StepListener listener) {
        this.listener = listener;
    }

    @Override
    public boolean skipsSamePages() {
        return skipsSamePages;
    }

    @Override
    public boolean reportsAtEnd() {
        return reportsAtEnd;
    }

    /**
     * invalidate_range_start of an invalidation that may replace pages (munmap, MADV_DONTNEED,
     * MAP_FIXED, migration...) over {@code [start, end)}; the caller changes the pages, then
     * calls {@link #end}.
     */
    Invalidation start(long start, long end) {
        return begin(start, end, false);
    }

    /**
     * invalidate_range_start of an invalidation that keeps the pages ({@code mprotect()}, a
     * NUMA balancing scan): skipped with SKIP_SAME_PAGES, an ordinary one without it.
     */
    Invalidation startSamePages(long start, long end) {
        return begin(start, end, true);
    }

    private Invalidation begin(long start, long end, boolean samePages) {
        Invalidation inv;
        synchronized (this) {
            boolean skipped = samePages && skipsSamePages;
            inv = new Invalidation(start, end, !skipped, invalsRead);
            active.add(inv);
            if (skipped) {
                if (registrations.values().stream().anyMatch(inv::hits)) {
                    filtered++;
                }
            } else {
                queueHits(inv, false);
            }
        }
        step(Step.STARTED, start, end);
        return inv;
    }

    /** invalidate_range_end of {@code inv}: the pages changed, the invalidating call returns. */
    void end(Invalidation inv) {
        step(Step.ENDING, inv.start, inv.end);
        synchronized (this) {
            if (!active.remove(inv)) {
                throw new IllegalStateException("not in progress: ended twice?");
            }
            boolean readMeanwhile = invalsRead != inv.readsAtStart;
            if (reportsAtEnd && inv.reported && readMeanwhile && queueHits(inv, true)) {
                reportedAtEnd++;
            }
        }
    }

    /** An invalidation in one go, pages unchanged: {@link #start} then {@link #end}. */
    void invalidate(long start, long end) {
        end(start(start, end));
    }

    /** {@link #start}, then {@code change} (the pages are replaced), then {@link #end}. */
    void invalidate(long start, long end, Runnable change) {
        Invalidation inv = start(start, end);
        change.run();
        end(inv);
    }

    /** An invalidation that keeps the pages, in one go: {@link #startSamePages} then end. */
    void keepPages(long start, long end) {
        end(startSamePages(start, end));
    }

    /**
     * Queues an event for every registration {@code inv} hits (only those with none queued
     * when {@code onlyUnqueued}), merging into queued ones, and moves the counter once if any.
     */
    private boolean queueHits(Invalidation inv, boolean onlyUnqueued) {
        boolean hit = false;
        for (Map.Entry<Long, long[]> r : registrations.entrySet()) {
            if (!inv.hits(r.getValue())) {
                continue;
            }
            if (onlyUnqueued && queue.containsKey(r.getKey())) {
                continue;
            }
            queue(r.getKey(), r.getValue(), inv.start, inv.end);
            hit = true;
        }
        if (hit) {
            bumpCounter();
        }
        return hit;
    }

    /** ummunotify_queue(): a new event with its hint, or a second hit merged (hint dropped). */
    private void queue(long cookie, long[] range, long start, long end) {
        long[] queued = queue.get(cookie);
        if (queued != null) {
            queued[0] = range[0];
            queued[1] = range[1];
            queued[2] = 0;
        } else {
            queue.put(cookie, new long[] {Math.max(start, range[0]), Math.min(end, range[1]), 1});
        }
    }

    private void bumpCounter() {
        counter.setRelease(counter.getAcquire() + 1);
        notifyAll();
    }

    private void step(Step step, long start, long end) {
        listener.reached(step, start, end);
    }

    @Override
    public synchronized String fdinfo() {
        checkOpen();
        return "registrations:\t" + registrations.size() + "\nqueued:\t" + queue.size()
                + "\ncounter:\t" + counter.getAcquire() + "\nfeatures:\t0x"
                + ((skipsSamePages ? UmmunotifyAbi.FEATURE_SKIP_SAME_PAGES : 0)
                        | (reportsAtEnd ? UmmunotifyAbi.FEATURE_REPORT_AT_END : 0))
                + "\ninvalidations_filtered:\t" + filtered
                + "\nreported_at_end:\t" + reportedAtEnd + "\n";
    }

    synchronized void maxRegions(int max) {
        this.maxRegions = max;
    }

    synchronized int registrations() {
        return registrations.size();
    }

    synchronized long[] range(long cookie) {
        return registrations.get(cookie);
    }

    /** {@return how many invalidations queued events again at their end} */
    synchronized long reportedAtEnd() {
        return reportedAtEnd;
    }

    @Override
    public long counterAcquire() {
        return counter.getAcquire();
    }

    @Override
    public void registerRegion(long start, long end, long cookie) throws RegistrationException {
        registerCalls.incrementAndGet();
        step(Step.REGISTERING, start, end);
        synchronized (this) {
            checkOpen();
            if (start >= end || registrations.containsKey(cookie)) {
                throw new RegistrationException("EINVAL", LibC.EINVAL);
            }
            if (registrations.size() >= maxRegions) {
                throw new RegistrationException("ENOSPC", LibC.ENOSPC);
            }
            long[] range = {start, end};
            registrations.put(cookie, range);
            boolean hit = false;
            for (Invalidation inv : active) { // ummunotify_hit_by_active()
                if (inv.reported && inv.hits(range)) {
                    queue(cookie, range, inv.start, inv.end);
                    hit = true;
                }
            }
            if (hit) {
                bumpCounter();
            }
        }
        step(Step.REGISTERED, start, end);
    }

    @Override
    public synchronized boolean unregisterRegion(long cookie) {
        checkOpen();
        queue.remove(cookie);
        return registrations.remove(cookie) != null;
    }

    @Override
    public int read(EventBuffer buffer) {
        int n = 0;
        synchronized (this) {
            checkOpen();
            reads.incrementAndGet();
            if (queue.isEmpty() && counter.getAcquire() == reported) {
                return 0; // EAGAIN
            }
            var it = queue.entrySet().iterator();
            while (n < buffer.capacity() && it.hasNext()) {
                var e = it.next();
                long[] q = e.getValue();
                buffer.put(n++, UmmunotifyAbi.EVENT_TYPE_INVAL,
                        q[2] == 1 ? UmmunotifyAbi.EVENT_FLAG_HINT : 0, q[0], q[1], e.getKey());
                it.remove();
                invalsRead++;
            }
            if (queue.isEmpty() && n < buffer.capacity()) {
                reported = counter.getAcquire();
                buffer.put(n++, UmmunotifyAbi.EVENT_TYPE_LAST, 0, 0, 0, reported);
            }
        }
        step(Step.READ, 0, 0);
        return n;
    }

    @Override
    public synchronized boolean awaitReadable(int timeoutMillis) {
        checkOpen();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (queue.isEmpty() && counter.getAcquire() == reported) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
    }

    /** Like the driver's release: every registration and queued event of the file goes. */
    @Override
    public synchronized void close() {
        closed = true;
        registrations.clear();
        queue.clear();
    }
}
