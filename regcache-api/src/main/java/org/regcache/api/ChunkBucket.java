package org.regcache.api;

/**
 * The immutable contents of one chunk of {@link ChunkIndex}: the entries overlapping the chunk,
 * sorted by start address, with their starts, ends and rights copied into parallel primitive
 * arrays. A lookup binary-searches {@link #starts} (one or two cache lines) and touches a
 * {@link CacheEntry} only to pin the one it returns.
 */
final class ChunkBucket {
    final long[] starts;
    final long[] ends;
    final int[] masks;
    final CacheEntry[] entries;

    private ChunkBucket(CacheEntry[] entries) {
        this.entries = entries;
        this.starts = new long[entries.length];
        this.ends = new long[entries.length];
        this.masks = new int[entries.length];
        for (int i = 0; i < entries.length; i++) {
            starts[i] = entries[i].start;
            ends[i] = entries[i].end;
            masks[i] = entries[i].accessMask;
        }
    }

    /** Index of the last entry whose start is <= address, or -1. */
    int lastStartingAtOrBefore(long address) {
        int low = 0;
        int high = starts.length - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (starts[mid] <= address) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return high;
    }

    /**
     * Finds and pins a live entry containing [address, end) with rights {@code mask}, counting
     * a hit on it if {@code hit} (see {@link CacheEntry#tryPin}).
     */
    CacheEntry findAndPin(long address, long end, int mask, boolean hit, StatsRecorder stats) {
        for (int i = lastStartingAtOrBefore(address); i >= 0; i--) {
            if (ends[i] >= end && AccessMask.satisfies(masks[i], mask)
                    && entries[i].tryPin(hit, stats)) {
                return entries[i];
            }
        }
        return null;
    }

    /** A bucket with {@code entry} added in start order ({@code bucket} may be null). */
    static ChunkBucket with(ChunkBucket bucket, CacheEntry entry) {
        if (bucket == null) {
            return new ChunkBucket(new CacheEntry[] {entry});
        }
        CacheEntry[] from = bucket.entries;
        int at = bucket.lastStartingAtOrBefore(entry.start) + 1;
        CacheEntry[] next = new CacheEntry[from.length + 1];
        System.arraycopy(from, 0, next, 0, at);
        next[at] = entry;
        System.arraycopy(from, at, next, at + 1, from.length - at);
        return new ChunkBucket(next);
    }

    /** A bucket without {@code entry}: null when it was the last, {@code bucket} if absent. */
    static ChunkBucket without(ChunkBucket bucket, CacheEntry entry) {
        if (bucket == null) {
            return null;
        }
        CacheEntry[] from = bucket.entries;
        for (int i = 0; i < from.length; i++) {
            if (from[i] == entry) {
                if (from.length == 1) {
                    return null;
                }
                CacheEntry[] next = new CacheEntry[from.length - 1];
                System.arraycopy(from, 0, next, 0, i);
                System.arraycopy(from, i + 1, next, i, from.length - i - 1);
                return new ChunkBucket(next);
            }
        }
        return bucket;
    }
}
