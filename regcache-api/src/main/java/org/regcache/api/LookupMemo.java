package org.regcache.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A direct-mapped memo in front of {@link ChunkIndex}: slot = hash of the requested page, value
 * = the entry that satisfied the last lookup of that page. A hit is one hash, one acquire load
 * and the entry's own checks, instead of a radix walk and a binary search.
 *
 * <p>It can never return a wrong entry: a remembered entry is used only if it covers the request
 * with the rights asked and can still be pinned, and detached entries cannot be pinned. Slots are
 * written with release stores (racing writers simply overwrite each other) so that a reader
 * sees the entry's fields as its creator published them. A slot may keep a dead entry reachable
 * until it is overwritten or {@link #forget forgotten} at unlink.
 */
final class LookupMemo {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(CacheEntry[].class);
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final CacheEntry[] slots;
    private final int shift;
    private final int pageShift;

    /** @param slotBits log2 of the number of slots */
    LookupMemo(int slotBits, int pageShift) {
        this.slots = new CacheEntry[1 << slotBits];
        this.shift = 64 - slotBits;
        this.pageShift = pageShift;
    }

    private int slot(long address) {
        return (int) (((address >>> pageShift) * GOLDEN) >>> shift);
    }

    /**
     * The remembered entry for this page (an acquire load of its slot, pairing with {@link
     * #rememberRelease}), pinned with a hit counted, if it satisfies the request.
     */
    CacheEntry findAndPin(long address, long end, int mask, StatsRecorder stats) {
        CacheEntry e = (CacheEntry) SLOTS.getAcquire(slots, slot(address));
        if (e != null && e.covers(address, end, mask) && e.tryPin(true, stats)) {
            return e;
        }
        return null;
    }

    /** Release store of {@code entry} into the slot of {@code address}. */
    void rememberRelease(long address, CacheEntry entry) {
        SLOTS.setRelease(slots, slot(address), entry);
    }

    /** Clears the slot of {@code address} if it still holds {@code entry}. */
    void forget(long address, CacheEntry entry) {
        SLOTS.compareAndSet(slots, slot(address), entry, null);
    }
}
