package org.regcache.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An invalidation source over simulated memory: {@link #memoryChanged} plays the kernel's
 * notifier (the cookies of overlapping watches become pending before it returns, like the
 * counter bump before munmap returns) and {@link #drain()} delivers them.
 */
final class FakeInvalidationSource implements InvalidationSource {
    final Map<Long, long[]> watches = new ConcurrentHashMap<>();
    final AtomicInteger drains = new AtomicInteger();
    final AtomicInteger watchCalls = new AtomicInteger();
    final List<Integer> watchFailures = new ArrayList<>();
    volatile boolean delivering;
    volatile boolean closed;
    volatile boolean started;
    private final Set<Long> pending = new LinkedHashSet<>();
    private volatile boolean hasPending;
    private InvalidationSink sink;

    @Override
    public void start(InvalidationSink sink) {
        this.sink = sink;
        started = true;
    }

    /** The next watches fail with these errnos. */
    synchronized void failNextWatch(int... errnos) {
        for (int errno : errnos) {
            watchFailures.add(errno);
        }
    }

    @Override
    public void watch(long cookie, long address, long length) throws RegistrationException {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        watchCalls.incrementAndGet();
        synchronized (this) {
            if (!watchFailures.isEmpty()) {
                throw new RegistrationException("injected watch failure", watchFailures.remove(0));
            }
        }
        synchronized (this) {
            if (watches.putIfAbsent(cookie, new long[] {address, address + length}) != null) {
                throw new AssertionError("cookie " + cookie + " reused");
            }
        }
    }

    @Override
    public void unwatch(long cookie) {
        watches.remove(cookie);
        synchronized (this) {
            pending.remove(cookie);
        }
    }

    /**
     * The kernel side of a munmap()/madvise() of [address, address + length): queues the
     * overlapping watches, then runs {@code change} (the pages are replaced). A watch set up
     * during the change is reported too (it waits for this lock), as a kernel must for a
     * registration racing with an invalidation in progress.
     */
    synchronized void memoryChanged(long address, long length, Runnable change) {
        for (Map.Entry<Long, long[]> w : watches.entrySet()) {
            if (w.getValue()[0] < address + length && address < w.getValue()[1]) {
                pending.add(w.getKey());
                hasPending = true;
            }
        }
        change.run();
    }

    /** Reports {@code cookie} as invalidated even if it is not (or no longer) watched. */
    synchronized void reportCookie(long cookie) {
        pending.add(cookie);
        hasPending = true;
    }

    @Override
    public boolean hasPendingInvalidations() {
        return hasPending;
    }

    @Override
    public void drain() {
        drains.incrementAndGet();
        synchronized (this) {
            if (closed) {
                return;
            }
            delivering = true;
            try {
                for (long cookie : new ArrayList<>(pending)) {
                    sink.invalidated(cookie);
                }
                pending.clear();
                hasPending = false;
            } finally {
                delivering = false;
            }
        }
        sink.drainCompleted();
    }

    @Override
    public void close() {
        closed = true;
    }
}
