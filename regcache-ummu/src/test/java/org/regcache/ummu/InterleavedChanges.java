package org.regcache.ummu;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Changes of {@link SimulatedMemory} taken in the kernel's steps, several in progress at once
 * and their steps shuffled: invalidation start, pages replaced, invalidation end (a change may
 * also end without replacing pages: a spurious invalidation), and invalidations that keep the
 * pages (mprotect()), started and ended apart too. Whatever else runs between the steps (other
 * threads, or the caller itself from a {@link FakeUmmunotifyDevice.StepListener}) sees
 * invalidations in progress.
 *
 * <p>Not thread safe: one thread takes the steps (a listener on that thread may take more).
 */
final class InterleavedChanges {
    private static final long PAGE = 4096;

    private final SimulatedMemory memory;
    private final FakeUmmunotifyDevice device;
    private final Random random;
    private final int pages;
    private final int maxInProgress;
    private final List<SimulatedMemory.Change> changes = new ArrayList<>();
    private final List<FakeUmmunotifyDevice.Invalidation> samePages = new ArrayList<>();

    /**
     * @param pages         changes fall in the first {@code pages} pages of {@code memory}
     * @param maxInProgress at most this many changes in progress at once
     */
    InterleavedChanges(SimulatedMemory memory, FakeUmmunotifyDevice device, Random random,
            int pages, int maxInProgress) {
        this.memory = memory;
        this.device = device;
        this.random = random;
        this.pages = pages;
        this.maxInProgress = maxInProgress;
    }

    /** Takes one step, chosen at random among those possible. */
    void step() {
        int choice = random.nextInt(10);
        if (choice < 3 && changes.size() < maxInProgress) {
            long address = memory.base + random.nextInt(pages - 6) * PAGE;
            changes.add(memory.begin(device, address, (1 + random.nextInt(6)) * PAGE));
        } else if (choice < 6 && !changes.isEmpty()) {
            SimulatedMemory.Change c = changes.get(random.nextInt(changes.size()));
            if (!c.pagesReplaced()) {
                c.replacePages();
            }
        } else if (choice < 9 && !changes.isEmpty()) {
            SimulatedMemory.Change c = changes.get(random.nextInt(changes.size()));
            if (c.pagesReplaced() || random.nextInt(8) == 0) { // spurious now and then
                changes.remove(c);
                c.end();
            }
        } else if (samePages.isEmpty()) {
            long address = memory.base + random.nextInt(pages - 6) * PAGE;
            samePages.add(device.startSamePages(address, address + random.nextInt(6) * PAGE + 1));
        } else {
            device.end(samePages.remove(0));
        }
    }

    /** Starts a change of {@code [start, end)}, unless {@code maxInProgress} are in progress. */
    void begin(long start, long end) {
        if (changes.size() < maxInProgress) {
            changes.add(memory.begin(device, start, end - start));
        }
    }

    /** {@return whether no change is in progress} */
    boolean quiet() {
        return changes.isEmpty() && samePages.isEmpty();
    }

    /** Replaces the pages of every change in progress that has not, and ends them all. */
    void finish() {
        while (!changes.isEmpty()) {
            SimulatedMemory.Change c = changes.remove(changes.size() - 1);
            if (!c.pagesReplaced()) {
                c.replacePages();
            }
            c.end();
        }
        while (!samePages.isEmpty()) {
            device.end(samePages.remove(0));
        }
    }
}
