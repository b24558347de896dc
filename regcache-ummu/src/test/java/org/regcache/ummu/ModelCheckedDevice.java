package org.regcache.ummu;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.regcache.api.RegistrationException;
import org.regcache.ummu.internal.LibC;

/**
 * The ummunotify driver (kernel/ummunotify_main.c) for a Lincheck model check: every piece of
 * its state a plain Java field, so that the checker sees (and may switch threads at) each
 * access. {@link FakeUmmunotifyDevice} keeps its counter in native memory behind a {@code
 * ByteBuffer} view {@code VarHandle} ({@link CounterPage}, as the real mapped page), which
 * Lincheck 3.7 rejects ("Unsupported VarHandle type"); hence this model, which follows the
 * driver's functions one for one (their names in the comments), under one monitor for the
 * driver's {@code wqh.lock}:
 * <ul>
 * <li>{@link #start}: {@code invalidate_range_start}: the invalidation goes into {@code
 *     active[]} with {@code nr_reads}; every registration it hits gets an event queued (or
 *     merged into its queued one, losing the hint); the counter moves once if it hit any.
 * <li>{@link #end}: {@code invalidate_range_end}: out of {@code active[]}; with REPORT_AT_END,
 *     if an INVAL was read since its start, every registration it hits with no event queued
 *     gets one again, and the counter moves once more if any did.
 * <li>{@link #registerRegion}: REGISTER: the registration is added, then {@code
 *     ummunotify_hit_by_active}: an event for each invalidation in progress that hits it, the
 *     counter moved once. The registration takes effect under the lock; the ioctl returns
 *     after the lock is released: two steps, another thread may run between them.
 * <li>{@link #read}: non-blocking read(): EAGAIN unless events are queued or the counter moved
 *     since the last LAST; events oldest first, one per registration, then a LAST carrying the
 *     counter when the queue empties.
 * <li>With an event ring (kernel/event_ring.c): {@code ummunotify_queue} writes an entry for a
 *     registration not on the invalid list if the ring has room ({@code evring_push}: head minus
 *     the tail below the size), and puts it on the list with OVERFLOW if not; OVERFLOW follows
 *     the list exactly; a registration is "queued" for REPORT_AT_END while on the list or its
 *     last entry unconsumed, and an end checks again if the tail moved since the start. The
 *     kernel reads the consumer's tail word only within [its last valid tail, head].
 * <li>The consumer's side of the ring ({@link #ringHeadAcquire}, {@link #copyRingEntries},
 *     {@link #publishRingTail}, {@link #ringOverflowAcquire}) takes no lock, as user space
 *     takes none: head, flags and the tail word are volatile (the acquire and release of the
 *     ABI), the slots plain array elements the checker may switch threads between. A copy of a
 *     slot the kernel wrote over meanwhile gets the new entry, as it would.
 * </ul>
 * Not modelled: the bound on tracked invalidations ({@code nr_untracked}), read()'s put-back
 * after a failed copy, SKIP_SAME_PAGES (every invalidation here may change the pages).
 */
final class ModelCheckedDevice implements UmmunotifyDevice {

    /** {@code struct ummunotify_reg}. */
    private static final class Reg {
        final long cookie;
        final long start;
        final long end;
        /** On the invalid list ({@code !list_empty(&reg->list)}). */
        boolean queued;
        long hintStart;
        /** 0: no hint (two hits merged). */
        long hintEnd;
        /** 1 + the sequence number of its last ring entry; 0: none. */
        long ringSeq;

        Reg(long cookie, long start, long end) {
            this.cookie = cookie;
            this.start = start;
            this.end = end;
        }
    }

    /** An entry of {@code active[]}: an invalidation between its start and its end. */
    static final class Active {
        final long start;
        final long end;
        final long readsAtStart;
        final long ringTailAtStart;

        private Active(long start, long end, long readsAtStart, long ringTailAtStart) {
            this.start = start;
            this.end = end;
            this.readsAtStart = readsAtStart;
            this.ringTailAtStart = ringTailAtStart;
        }
    }

    private final boolean reportsAtEnd;
    private final List<Reg> regs = new ArrayList<>();
    private final ArrayDeque<Reg> invalidList = new ArrayDeque<>();
    private final List<Active> active = new ArrayList<>();
    /** The mapped counter: written under the lock, read by user space at any time. */
    private volatile long counter;
    private long reported;
    private long nrReads;
    private boolean closed;
    /** The ring's size; 0: none. */
    private final int ringEntries;
    private final long[] slotCookie;
    private final long[] slotHintStart;
    private final long[] slotHintEnd;
    /** The control page's head: written under the lock, loaded by the consumer. */
    private volatile long ringHead;
    /** The control page's flags. */
    private volatile int ringFlags;
    /** The consumer's tail word, in its memory. */
    private volatile long ringTailWord;
    /** The kernel's last valid tail. */
    private long ringTail;

    /** @param reportsAtEnd whether UMMUNOTIFY_FEATURE_REPORT_AT_END was agreed */
    ModelCheckedDevice(boolean reportsAtEnd) {
        this(reportsAtEnd, 0);
    }

    /**
     * @param reportsAtEnd whether UMMUNOTIFY_FEATURE_REPORT_AT_END was agreed
     * @param ringEntries  the event ring's size, a power of two (0: no ring)
     */
    ModelCheckedDevice(boolean reportsAtEnd, int ringEntries) {
        this.reportsAtEnd = reportsAtEnd;
        this.ringEntries = ringEntries;
        this.slotCookie = new long[ringEntries];
        this.slotHintStart = new long[ringEntries];
        this.slotHintEnd = new long[ringEntries];
    }

    /** invalidate_range_start of [start, end); the caller changes the pages, then {@link #end}. */
    synchronized Active start(long start, long end) {
        Active a = new Active(start, end, nrReads, ringTail());
        active.add(a);
        boolean hit = false;
        for (Reg r : regs) {
            if (r.start < end && start < r.end) {
                queue(r, start, end);
                hit = true;
            }
        }
        if (hit) {
            counter++;
        }
        return a;
    }

    /** invalidate_range_end of {@code a}. */
    synchronized void end(Active a) {
        if (!active.remove(a)) {
            throw new IllegalStateException("not in progress");
        }
        if (!reportsAtEnd || a.readsAtStart == nrReads && a.ringTailAtStart == ringTail()) {
            return;
        }
        boolean hit = false; // ummunotify_report_at_end
        for (Reg r : regs) {
            if (r.start < a.end && a.start < r.end && !queued(r)) {
                queue(r, a.start, a.end);
                hit = true;
            }
        }
        if (hit) {
            counter++;
        }
    }

    /**
     * ummunotify_queue: a second hit merged into the event on the list (hint dropped), or a ring
     * entry with its hint if the ring has room, or a new event on the list (OVERFLOW).
     */
    private void queue(Reg r, long start, long end) {
        if (r.queued) {
            r.hintEnd = 0;
            return;
        }
        long hintStart = Math.max(start, r.start);
        long hintEnd = Math.min(end, r.end);
        if (ringEntries != 0 && KernelRingRules.hasRoom(ringHead, ringTail(), ringEntries)) {
            int slot = (int) (ringHead & (ringEntries - 1));
            slotCookie[slot] = r.cookie;
            slotHintStart[slot] = hintStart;
            slotHintEnd[slot] = hintEnd;
            r.ringSeq = ringHead + 1;
            ringHead = ringHead + 1; // the release store, after the entry
            return;
        }
        r.queued = true;
        r.hintStart = hintStart;
        r.hintEnd = hintEnd;
        invalidList.add(r);
        syncOverflow();
    }

    /** evring_tail: the tail word if within [the last valid tail, head]. */
    private long ringTail() {
        ringTail = KernelRingRules.validTail(ringTailWord, ringTail, ringHead);
        return ringTail;
    }

    /** ummunotify_sync_overflow. */
    private void syncOverflow() {
        if (ringEntries != 0) {
            ringFlags = invalidList.isEmpty() ? 0 : UmmunotifyAbi.RING_OVERFLOW;
        }
    }

    /** ummunotify_reg_queued: on the list, or its last ring entry not consumed. */
    private boolean queued(Reg r) {
        return r.queued || r.ringSeq != 0 && r.ringSeq - 1 >= ringTail();
    }

    @Override
    public void registerRegion(long start, long end, long cookie) throws RegistrationException {
        synchronized (this) {
            checkOpen();
            if (start >= end || find(cookie) != null) {
                throw new RegistrationException("EINVAL", LibC.EINVAL);
            }
            Reg r = new Reg(cookie, start, end);
            regs.add(r);
            boolean hit = false; // ummunotify_hit_by_active
            for (Active a : active) {
                if (a.start < end && start < a.end) {
                    queue(r, a.start, a.end);
                    hit = true;
                }
            }
            if (hit) {
                counter++;
            }
        }
        // The registration took effect; the ioctl returns only now.
    }

    @Override
    public synchronized boolean unregisterRegion(long cookie) {
        checkOpen();
        Reg r = find(cookie);
        if (r == null) {
            return false;
        }
        regs.remove(r);
        if (r.queued) {
            invalidList.remove(r);
            syncOverflow();
        }
        return true;
    }

    @Override
    public synchronized int read(EventBuffer buffer) {
        checkOpen();
        if (invalidList.isEmpty() && counter == reported) {
            return 0; // EAGAIN
        }
        int n = 0;
        while (n < buffer.capacity()) { // ummunotify_fill_batch
            Reg r = invalidList.poll();
            syncOverflow();
            if (r == null) {
                reported = counter;
                buffer.put(n++, UmmunotifyAbi.EVENT_TYPE_LAST, 0, 0, 0, reported);
                break;
            }
            r.queued = false;
            nrReads++;
            boolean hint = r.hintEnd != 0;
            buffer.put(n++, UmmunotifyAbi.EVENT_TYPE_INVAL, hint ? UmmunotifyAbi.EVENT_FLAG_HINT : 0,
                    hint ? r.hintStart : r.start, hint ? r.hintEnd : r.end, r.cookie);
        }
        return n;
    }

    private Reg find(long cookie) {
        for (Reg r : regs) {
            if (r.cookie == cookie) {
                return r;
            }
        }
        return null;
    }

    synchronized int registrations() {
        return regs.size();
    }

    @Override
    public long counterAcquire() {
        return counter;
    }

    @Override
    public boolean skipsSamePages() {
        return false;
    }

    /** Not an {@code @Override}: compiles against the interface with or without the method. */
    public boolean reportsAtEnd() {
        return reportsAtEnd;
    }

    @Override
    public synchronized String fdinfo() {
        return "registrations:\t" + regs.size() + "\n";
    }

    @Override
    public int ringEntries() {
        return ringEntries;
    }

    @Override
    public long ringHeadAcquire() {
        return ringHead;
    }

    @Override
    public void copyRingEntries(long from, int count, EventBuffer buffer) {
        for (int i = 0; i < count; i++) {
            int slot = (int) ((from + i) & (ringEntries - 1));
            long hintStart = slotHintStart[slot];
            long hintEnd = slotHintEnd[slot];
            long cookie = slotCookie[slot];
            buffer.put(i, UmmunotifyAbi.EVENT_TYPE_INVAL, UmmunotifyAbi.EVENT_FLAG_HINT,
                    hintStart, hintEnd, cookie);
        }
    }

    @Override
    public void publishRingTail(long tail) {
        ringTailWord = tail;
    }

    @Override
    public boolean ringOverflowAcquire() {
        return (ringFlags & UmmunotifyAbi.RING_OVERFLOW) != 0;
    }

    @Override
    public synchronized boolean awaitReadable(int timeoutMillis) {
        return !invalidList.isEmpty() || counter != reported; // never waits: not modelled
    }

    @Override
    public synchronized void close() {
        closed = true;
        regs.clear();
        invalidList.clear();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
    }
}
