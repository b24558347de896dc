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
 * <p><b>Event ring</b> ({@code UMMUNOTIFY_FEATURE_EVENT_RING}, when made with a size): as
 * kernel/event_ring.c and the driver's {@code ummunotify_queue}. Every hit of a registration
 * not queued for read() writes one entry (its own hint) if the ring has room, and bumps head;
 * a full ring queues the hit for read() instead and sets OVERFLOW, which stays set exactly
 * while events are queued for read(). A registration counts as queued, for REPORT_AT_END, while
 * it is queued for read() or its last entry is not consumed; an invalidation's end checks
 * again if INVAL events were read or the tail moved since its start. The tail word is the
 * consumer's ({@link #publishRingTail}); the kernel side trusts it only within [its last valid
 * tail, head]. UNREGISTER takes no entry back. The consumer's steps (head loaded, entries
 * copied, tail published, flags loaded) are pause points too; the sizes need not respect the
 * kernel's minimum (a ring of 4 overflows constantly).
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
        READ,
        /** The consumer loaded the ring's head; it has copied nothing yet. */
        RING_HEAD_LOADED,
        /** The consumer copied ring entries; it has not published a tail past them yet. */
        RING_COPIED,
        /** The consumer published its tail. */
        RING_TAIL_PUBLISHED,
        /** The consumer loaded the ring's flags (OVERFLOW). */
        RING_FLAGS_LOADED
    }

    /** Told of each {@link Step}; may block (no lock of the device is held). */
    @FunctionalInterface
    interface StepListener {
        /**
         * @param step  the step just taken
         * @param start the range being registered or invalidated (0 for READ and RING_*)
         * @param end   its end, exclusive (0 for READ and RING_*)
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
        /** The ring's tail when it started (the kernel's {@code active[].ring_tail}). */
        final long ringTailAtStart;

        private Invalidation(long start, long end, boolean reported, long readsAtStart,
                long ringTailAtStart) {
            this.start = start;
            this.end = end;
            this.reported = reported;
            this.readsAtStart = readsAtStart;
            this.ringTailAtStart = ringTailAtStart;
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
    /** The ring's size in entries; 0: no ring. */
    private final int ringEntries;
    /** The entries, by index: {flags, hintStart, hintEnd, cookie}. */
    private final long[][] ring;
    /** Entries ever written (the control page's head). */
    private long ringHead;
    /** The kernel's last valid tail. */
    private long ringTail;
    /** The consumer's tail word, in its memory. */
    private long ringTailWord;
    private int ringFlags;
    /** 1 + the sequence number of each registration's last entry. */
    private final Map<Long, Long> ringSeq = new HashMap<>();
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
        this(skipsSamePages, reportsAtEnd, 0);
    }

    /**
     * A device as {@link #FakeUmmunotifyDevice(boolean, boolean)}, with an event ring of {@code
     * ringEntries} (a power of two; 0: no ring) made before any registration, as the native
     * device makes it at open.
     */
    FakeUmmunotifyDevice(boolean skipsSamePages, boolean reportsAtEnd, int ringEntries) {
        if (ringEntries < 0 || Integer.bitCount(ringEntries) > 1) {
            throw new IllegalArgumentException("ring size not a power of two: " + ringEntries);
        }
        this.skipsSamePages = skipsSamePages;
        this.reportsAtEnd = reportsAtEnd;
        this.ringEntries = ringEntries;
        this.ring = new long[ringEntries][];
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
            inv = new Invalidation(start, end, !skipped, invalsRead, ringTail());
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
            boolean readMeanwhile = invalsRead != inv.readsAtStart
                    || inv.ringTailAtStart != ringTail();
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
            if (onlyUnqueued && isQueued(r.getKey())) {
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

    /**
     * ummunotify_queue(): a second hit merged into the event queued for read() (hint dropped);
     * else a ring entry with its hint, if there is a ring with room; else a new event queued for
     * read() with its hint (OVERFLOW, with a ring).
     */
    private void queue(long cookie, long[] range, long start, long end) {
        long[] queued = queue.get(cookie);
        long hintStart = Math.max(start, range[0]);
        long hintEnd = Math.min(end, range[1]);
        if (queued != null) {
            queued[0] = range[0];
            queued[1] = range[1];
            queued[2] = 0;
        } else if (!ringPush(cookie, hintStart, hintEnd)) {
            queue.put(cookie, new long[] {hintStart, hintEnd, 1});
            syncOverflow();
        }
    }

    /** evring_push(): {@return whether the entry was written (false: no ring, or full)} */
    private boolean ringPush(long cookie, long hintStart, long hintEnd) {
        if (ringEntries == 0 || !KernelRingRules.hasRoom(ringHead, ringTail(), ringEntries)) {
            return false;
        }
        ring[(int) (ringHead & (ringEntries - 1))] =
                new long[] {UmmunotifyAbi.EVENT_FLAG_HINT, hintStart, hintEnd, cookie};
        ringSeq.put(cookie, ringHead + 1);
        ringHead++;
        return true;
    }

    /**
     * evring_tail(): the consumer's tail word, if within [the last valid tail, head]; else the
     * last valid tail. 0 without a ring.
     */
    private long ringTail() {
        ringTail = KernelRingRules.validTail(ringTailWord, ringTail, ringHead);
        return ringTail;
    }

    /** ummunotify_sync_overflow(): OVERFLOW exactly while events are queued for read(). */
    private void syncOverflow() {
        if (ringEntries != 0) {
            ringFlags = queue.isEmpty() ? 0 : UmmunotifyAbi.RING_OVERFLOW;
        }
    }

    /** ummunotify_reg_queued(): queued for read(), or its last ring entry not consumed. */
    private boolean isQueued(long cookie) {
        if (queue.containsKey(cookie)) {
            return true;
        }
        Long seq = ringSeq.get(cookie);
        return seq != null && seq - 1 >= ringTail();
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
                        | (reportsAtEnd ? UmmunotifyAbi.FEATURE_REPORT_AT_END : 0)
                        | (ringEntries != 0 ? UmmunotifyAbi.FEATURE_EVENT_RING : 0))
                + "\ninvalidations_filtered:\t" + filtered
                + "\nreported_at_end:\t" + reportedAtEnd + "\nring_entries:\t" + ringEntries
                + "\nring_head:\t" + ringHead + "\nring_tail:\t" + ringTail()
                + "\nring_flags:\t0x" + Integer.toHexString(ringFlags) + "\n";
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

    /** UNREGISTER: its event queued for read() goes; its ring entries stay. */
    @Override
    public synchronized boolean unregisterRegion(long cookie) {
        checkOpen();
        queue.remove(cookie);
        syncOverflow();
        ringSeq.remove(cookie);
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
            syncOverflow();
            if (queue.isEmpty() && n < buffer.capacity()) {
                reported = counter.getAcquire();
                buffer.put(n++, UmmunotifyAbi.EVENT_TYPE_LAST, 0, 0, 0, reported);
            }
        }
        step(Step.READ, 0, 0);
        return n;
    }

    @Override
    public int ringEntries() {
        return ringEntries;
    }

    @Override
    public long ringHeadAcquire() {
        long head;
        synchronized (this) {
            checkOpen();
            head = ringHead;
        }
        step(Step.RING_HEAD_LOADED, 0, 0);
        return head;
    }

    /** Copies what the slots hold now: an entry the kernel wrote over is lost. */
    @Override
    public void copyRingEntries(long from, int count, EventBuffer buffer) {
        synchronized (this) {
            checkOpen();
            for (int i = 0; i < count; i++) {
                long[] e = ring[(int) ((from + i) & (ringEntries - 1))];
                if (e == null) { // never written: zeros, as the kernel's fresh pages
                    e = new long[4];
                }
                buffer.put(i, UmmunotifyAbi.EVENT_TYPE_INVAL, (int) e[0], e[1], e[2], e[3]);
            }
        }
        step(Step.RING_COPIED, 0, 0);
    }

    @Override
    public void publishRingTail(long tail) {
        synchronized (this) {
            checkOpen();
            ringTailWord = tail;
        }
        step(Step.RING_TAIL_PUBLISHED, 0, 0);
    }

    @Override
    public boolean ringOverflowAcquire() {
        int flags;
        synchronized (this) {
            checkOpen();
            flags = ringFlags;
        }
        step(Step.RING_FLAGS_LOADED, 0, 0);
        return (flags & UmmunotifyAbi.RING_OVERFLOW) != 0;
    }

    /** poll(): with a ring, readable while events wait for read() or entries are unconsumed. */
    @Override
    public synchronized boolean awaitReadable(int timeoutMillis) {
        checkOpen();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (ringEntries == 0 ? queue.isEmpty() && counter.getAcquire() == reported
                : queue.isEmpty() && ringTail() == ringHead) {
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
