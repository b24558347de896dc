package org.regcache.ummu;

import com.sun.jna.Memory;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.regcache.api.RegistrationException;

/**
 * A Java model of the ummunotify driver (see notes/driver-spec.md): registrations by cookie,
 * a queue of INVAL events with hints, a counter in native memory read through {@link
 * CounterPage} like the mapped page, LAST events, EAGAIN when not readable, and, when created
 * with it, UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES ({@link #keepPages}).
 */
class FakeUmmunotifyDevice implements UmmunotifyDevice {
    private final Memory page = new Memory(4096);
    private final CounterPage counter;
    private final Map<Long, long[]> registrations = new HashMap<>();
    /** Queued events by cookie, in queue order: {hintStart, hintEnd, hint ? 1 : 0}. */
    private final LinkedHashMap<Long, long[]> queue = new LinkedHashMap<>();
    private long reported;
    private int maxRegions = Integer.MAX_VALUE;
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger registerCalls = new AtomicInteger();
    volatile boolean closed;
    private final boolean skipsSamePages;

    FakeUmmunotifyDevice() {
        this(false);
    }

    /** A device that agreed to UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES when {@code skipsSamePages}. */
    FakeUmmunotifyDevice(boolean skipsSamePages) {
        this.skipsSamePages = skipsSamePages;
        page.clear();
        counter = new CounterPage(page);
    }

    @Override
    public boolean skipsSamePages() {
        return skipsSamePages;
    }

    /**
     * The notifier for an invalidation that keeps the pages ({@code mprotect()}, a NUMA
     * balancing scan): skipped with the feature, an ordinary invalidation without it.
     */
    void keepPages(long start, long end) {
        if (!skipsSamePages) {
            invalidate(start, end);
            return;
        }
        synchronized (this) {
            for (long[] range : registrations.values()) {
                if (range[0] < end && start < range[1]) {
                    filtered++;
                    return;
                }
            }
        }
    }

    private long filtered;

    @Override
    public synchronized String fdinfo() {
        checkOpen();
        return "registrations:\t" + registrations.size() + "\nqueued:\t" + queue.size()
                + "\ncounter:\t" + counter.getAcquire() + "\nfeatures:\t0x"
                + (skipsSamePages ? 1 : 0) + "\ninvalidations_filtered:\t" + filtered + "\n";
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

    /** The notifier: [start, end) of the address space is being invalidated. */
    void invalidate(long start, long end) {
        invalidate(start, end, () -> { });
    }

    /**
     * The notifier, then {@code change} (the pages are replaced), atomically with respect to
     * register(): a registration made while an invalidation is in progress gets its event.
     */
    synchronized void invalidate(long start, long end, Runnable change) {
        boolean hit = false;
        for (Map.Entry<Long, long[]> r : registrations.entrySet()) {
            long[] range = r.getValue();
            if (range[0] >= end || start >= range[1]) {
                continue;
            }
            hit = true;
            long[] queued = queue.get(r.getKey());
            if (queued != null) {
                queued[0] = range[0];
                queued[1] = range[1];
                queued[2] = 0;
            } else {
                queue.put(r.getKey(), new long[] {Math.max(start, range[0]),
                        Math.min(end, range[1]), 1});
            }
        }
        if (hit) {
            counter.setRelease(counter.getAcquire() + 1);
            notifyAll();
        }
        change.run();
    }

    @Override
    public long counterAcquire() {
        return counter.getAcquire();
    }

    @Override
    public synchronized void register(long start, long end, long cookie)
            throws RegistrationException {
        registerCalls.incrementAndGet();
        checkOpen();
        if (start >= end || registrations.containsKey(cookie)) {
            throw new RegistrationException("EINVAL", LibC.EINVAL);
        }
        if (registrations.size() >= maxRegions) {
            throw new RegistrationException("ENOSPC", LibC.ENOSPC);
        }
        registrations.put(cookie, new long[] {start, end});
    }

    @Override
    public synchronized boolean unregister(long cookie) {
        checkOpen();
        queue.remove(cookie);
        return registrations.remove(cookie) != null;
    }

    @Override
    public synchronized int read(EventBuffer buffer) {
        checkOpen();
        reads.incrementAndGet();
        if (queue.isEmpty() && counter.getAcquire() == reported) {
            return 0; // EAGAIN
        }
        int n = 0;
        var it = queue.entrySet().iterator();
        while (n < buffer.capacity() && it.hasNext()) {
            var e = it.next();
            long[] q = e.getValue();
            buffer.put(n++, UmmunotifyAbi.EVENT_TYPE_INVAL,
                    q[2] == 1 ? UmmunotifyAbi.EVENT_FLAG_HINT : 0, q[0], q[1], e.getKey());
            it.remove();
        }
        if (queue.isEmpty() && n < buffer.capacity()) {
            reported = counter.getAcquire();
            buffer.put(n++, UmmunotifyAbi.EVENT_TYPE_LAST, 0, 0, 0, reported);
        }
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
