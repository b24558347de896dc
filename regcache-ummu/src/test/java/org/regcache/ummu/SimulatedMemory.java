package org.regcache.ummu;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Page generations of a simulated address range: a registration records the generations it
 * pinned ({@link #snapshot}); a change (munmap, madvise, MAP_FIXED) replaces pages between the
 * fake kernel's start and end of the invalidation ({@link Change}). The oracle of the cache
 * tests: an acquire must return pages at least as new as {@link #settled} when it began, the
 * pages every change that had ended by then put in place.
 */
final class SimulatedMemory {
    final long base;
    /** The pages mapped now. */
    private final AtomicLongArray generations;
    /** Per page, the newest generation put in place by a change that has ended. */
    private final AtomicLongArray settled;

    SimulatedMemory(long base, int pages) {
        this.base = base;
        this.generations = new AtomicLongArray(pages);
        this.settled = new AtomicLongArray(pages);
    }

    private int page(long address) {
        return (int) ((address - base) >>> 12);
    }

    private int pages(long address, long length) {
        return page(address + length - 1) - page(address) + 1;
    }

    /** {@return the generations mapped now over the range: what a pin takes} */
    long[] snapshot(long address, long length) {
        long[] g = new long[pages(address, length)];
        for (int i = 0; i < g.length; i++) {
            g[i] = generations.get(page(address) + i);
        }
        return g;
    }

    /**
     * {@return the generations over the range that every change ended by now put in place: an
     * acquire that begins now must return pages at least that new}
     */
    long[] settled(long address, long length) {
        long[] g = new long[pages(address, length)];
        for (int i = 0; i < g.length; i++) {
            g[i] = settled.get(page(address) + i);
        }
        return g;
    }

    /** Starts a change of the range's pages: the kernel's invalidation has started. */
    Change begin(FakeUmmunotifyDevice device, long address, long length) {
        return new Change(device.start(address, address + length), address, length, device);
    }

    /** A change in one go: start, pages replaced, end. */
    void change(FakeUmmunotifyDevice device, long address, long length) {
        Change c = begin(device, address, length);
        c.replacePages();
        c.end();
    }

    /** A change of pages in progress, taken step by step; not for concurrent use. */
    final class Change {
        private final FakeUmmunotifyDevice.Invalidation invalidation;
        private final FakeUmmunotifyDevice device;
        final long address;
        final long length;
        /** The generations put in place, null until {@link #replacePages()}. */
        private long[] replaced;

        private Change(FakeUmmunotifyDevice.Invalidation invalidation, long address, long length,
                FakeUmmunotifyDevice device) {
            this.invalidation = invalidation;
            this.device = device;
            this.address = address;
            this.length = length;
        }

        boolean pagesReplaced() {
            return replaced != null;
        }

        /** The kernel zaps the pages (a later touch maps new ones): once per change. */
        void replacePages() {
            if (replaced != null) {
                throw new IllegalStateException("pages already replaced");
            }
            long[] g = new long[pages(address, length)];
            for (int i = 0; i < g.length; i++) {
                g[i] = generations.incrementAndGet(page(address) + i);
            }
            replaced = g;
        }

        /** The invalidation ends and the call (munmap...) returns: its pages are settled. */
        void end() {
            device.end(invalidation);
            if (replaced != null) {
                for (int i = 0; i < replaced.length; i++) {
                    settled.accumulateAndGet(page(address) + i, replaced[i], Math::max);
                }
            }
        }
    }

    /**
     * Whether the registration [regAddress, ...) with pinned generations {@code pinned} holds,
     * for [address, address + length), pages at least as new as {@code before}.
     */
    static boolean notOlder(long regAddress, long[] pinned, long address, long length,
            long[] before) {
        int offset = (int) ((address >>> 12) - (regAddress >>> 12));
        for (int i = 0; i < before.length; i++) {
            if (pinned[offset + i] < before[i]) {
                return false;
            }
        }
        return true;
    }
}
