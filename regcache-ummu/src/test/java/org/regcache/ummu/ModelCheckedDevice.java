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

        private Active(long start, long end, long readsAtStart) {
            this.start = start;
            this.end = end;
            this.readsAtStart = readsAtStart;
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

    /** @param reportsAtEnd whether UMMUNOTIFY_FEATURE_REPORT_AT_END was agreed */
    ModelCheckedDevice(boolean reportsAtEnd) {
        this.reportsAtEnd = reportsAtEnd;
    }

    /** invalidate_range_start of [start, end); the caller changes the pages, then {@link #end}. */
    synchronized Active start(long start, long end) {
        Active a = new Active(start, end, nrReads);
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
        if (!reportsAtEnd || a.readsAtStart == nrReads) {
            return;
        }
        boolean hit = false; // ummunotify_report_at_end
        for (Reg r : regs) {
            if (r.start < a.end && a.start < r.end && !r.queued) {
                queue(r, a.start, a.end);
                hit = true;
            }
        }
        if (hit) {
            counter++;
        }
    }

    /** ummunotify_queue: a new event with its hint, or a second hit merged (hint dropped). */
    private void queue(Reg r, long start, long end) {
        if (r.queued) {
            r.hintEnd = 0;
            return;
        }
        r.queued = true;
        r.hintStart = Math.max(start, r.start);
        r.hintEnd = Math.min(end, r.end);
        invalidList.add(r);
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
