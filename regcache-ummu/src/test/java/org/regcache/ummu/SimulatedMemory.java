package org.regcache.ummu;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Page generations of a simulated address range: a registration records the generations it
 * pinned; a change (munmap, madvise, MAP_FIXED) bumps them inside the fake kernel's notifier.
 */
final class SimulatedMemory {
    final long base;
    private final AtomicLongArray generations;

    SimulatedMemory(long base, int pages) {
        this.base = base;
        this.generations = new AtomicLongArray(pages);
    }

    private int page(long address) {
        return (int) ((address - base) >>> 12);
    }

    long[] snapshot(long address, long length) {
        long[] g = new long[page(address + length - 1) - page(address) + 1];
        for (int i = 0; i < g.length; i++) {
            g[i] = generations.get(page(address) + i);
        }
        return g;
    }

    /** Runs the kernel's notifier for the range, then replaces its pages. */
    void change(FakeUmmunotifyDevice device, long address, long length) {
        device.invalidate(address, address + length, () -> {
            for (int p = page(address); p <= page(address + length - 1); p++) {
                generations.incrementAndGet(p);
            }
        });
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
