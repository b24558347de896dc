package org.regcache.api;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The interval index: answers "which cached registration contains [address, end)?" without a
 * lock, and "which entries overlap this range?" for invalidations.
 *
 * <p>The address space is cut into 2 MiB chunks. A radix tree of four levels of
 * {@link AtomicReferenceArray}s (11 bits each, like a page table; nodes appear on first use and
 * are never freed) maps a chunk number to an immutable {@link ChunkBucket} of the entries
 * overlapping that chunk, sorted by start address. A registration spanning several chunks is
 * listed in each. A lookup is four dependent loads, a binary search over a primitive array and a
 * short backward scan: no hashing, no boxing, no lock. Updates replace a chunk's array by compare-and-set (copy on write), so
 * readers always see a consistent array.
 *
 * <p>Insertion is atomic with a duplicate check on the entry's first chunk: of two threads that
 * registered the same range at once, exactly one inserts and the other finds and pins the
 * winner's entry.
 *
 * <p>Detached entries may linger in the arrays until unlinked; lookups skip them because
 * {@link CacheEntry#tryPin} fails.
 */
final class ChunkIndex {
    static final int CHUNK_SHIFT = 21;
    private static final int LEVEL_BITS = 11;
    private static final int LEVELS = 4;
    private static final int FANOUT = 1 << LEVEL_BITS;
    private static final int SLOT_MASK = FANOUT - 1;

    static {
        // Chunk numbers of non-negative addresses have 63 - CHUNK_SHIFT bits.
        if (LEVELS * LEVEL_BITS < 63 - CHUNK_SHIFT) {
            throw new AssertionError("radix levels do not cover the address space");
        }
    }

    private final AtomicReferenceArray<Object> root = new AtomicReferenceArray<>(FANOUT);

    static long chunkOf(long address) {
        return address >>> CHUNK_SHIFT;
    }

    /**
     * Finds an entry containing [address, end) with rights {@code mask}, and pins it, counting
     * a hit on it.
     *
     * @return the pinned entry, or null
     */
    CacheEntry findAndPin(long address, long end, int mask, StatsRecorder stats) {
        ChunkBucket bucket = bucketOf(chunkOf(address));
        return bucket == null ? null : bucket.findAndPin(address, end, mask, true, stats);
    }

    /**
     * Inserts {@code entry} in every chunk it overlaps, unless its first chunk already lists a
     * live entry covering it with at least its rights: then that entry is pinned and returned
     * and nothing is inserted.
     */
    CacheEntry insertOrPinCovering(CacheEntry entry) {
        long first = chunkOf(entry.start);
        AtomicReferenceArray<Object> leaf = leafFor(first, true);
        int slot = (int) (first & SLOT_MASK);
        for (;;) {
            ChunkBucket current = (ChunkBucket) leaf.get(slot);
            if (current != null) {
                CacheEntry covering = current.findAndPin(entry.start, entry.end,
                        entry.accessMask, false, null); // the caller counted a miss
                if (covering != null) {
                    return covering;
                }
            }
            if (leaf.compareAndSet(slot, current, ChunkBucket.with(current, entry))) {
                break;
            }
        }
        long last = chunkOf(entry.end - 1);
        for (long chunk = first + 1; chunk <= last; chunk++) {
            AtomicReferenceArray<Object> l = leafFor(chunk, true);
            int s = (int) (chunk & SLOT_MASK);
            ChunkBucket current;
            do {
                current = (ChunkBucket) l.get(s);
            } while (!l.compareAndSet(s, current, ChunkBucket.with(current, entry)));
        }
        return null;
    }

    /** Removes {@code entry} from every chunk it overlaps; idempotent. */
    void remove(CacheEntry entry) {
        long last = chunkOf(entry.end - 1);
        for (long chunk = chunkOf(entry.start); chunk <= last; chunk++) {
            AtomicReferenceArray<Object> leaf = leafFor(chunk, false);
            if (leaf == null) {
                continue;
            }
            int s = (int) (chunk & SLOT_MASK);
            for (;;) {
                ChunkBucket current = (ChunkBucket) leaf.get(s);
                ChunkBucket next = ChunkBucket.without(current, entry);
                if (next == current || leaf.compareAndSet(s, current, next)) {
                    break;
                }
            }
        }
    }

    /**
     * Calls {@code action} for every listed entry overlapping [start, end), detached ones
     * included; an entry spanning several chunks may be reported more than once. Visits only
     * the populated parts of the tree, so a huge range costs what is cached in it.
     */
    void forEachOverlapping(long start, long end, Consumer<CacheEntry> action) {
        visit(root, 0, chunkOf(start), chunkOf(end - 1), 0L, start, end, action);
    }

    private void visit(AtomicReferenceArray<Object> node, int level, long firstChunk,
            long lastChunk, long prefix, long start, long end, Consumer<CacheEntry> action) {
        int shift = (LEVELS - 1 - level) * LEVEL_BITS;
        long span = 1L << shift; // chunks per slot of this node
        int from = firstChunk <= prefix ? 0 : (int) Math.min(SLOT_MASK, (firstChunk - prefix) >>> shift);
        int to = (int) Math.min(SLOT_MASK, (lastChunk - prefix) >>> shift);
        for (int i = from; i <= to; i++) {
            long low = prefix + i * span;
            Object child = node.get(i);
            if (child == null) {
                continue;
            }
            if (level == LEVELS - 1) {
                for (CacheEntry e : ((ChunkBucket) child).entries) {
                    if (e.start < end && start < e.end) {
                        action.accept(e);
                    }
                }
            } else {
                @SuppressWarnings("unchecked")
                AtomicReferenceArray<Object> next = (AtomicReferenceArray<Object>) child;
                visit(next, level + 1, firstChunk, lastChunk, low, start, end, action);
            }
        }
    }

    private ChunkBucket bucketOf(long chunk) {
        AtomicReferenceArray<Object> leaf = leafFor(chunk, false);
        return leaf == null ? null : (ChunkBucket) leaf.get((int) (chunk & SLOT_MASK));
    }

    @SuppressWarnings("unchecked")
    private AtomicReferenceArray<Object> leafFor(long chunk, boolean create) {
        AtomicReferenceArray<Object> node = root;
        for (int level = 0; level < LEVELS - 1; level++) {
            int slot = (int) ((chunk >>> ((LEVELS - 1 - level) * LEVEL_BITS)) & SLOT_MASK);
            Object child = node.get(slot);
            if (child == null) {
                if (!create) {
                    return null;
                }
                AtomicReferenceArray<Object> fresh = new AtomicReferenceArray<>(FANOUT);
                child = node.compareAndSet(slot, null, fresh) ? fresh : node.get(slot);
            }
            node = (AtomicReferenceArray<Object>) child;
        }
        return node;
    }
}
