package org.regcache.e2e.workload;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import org.regcache.e2e.memory.ChurnKind;

/**
 * Counts of verified transfers at one moment: every transfer is one RDMA WRITE (checked by the
 * server) or one RDMA READ (checked by the client), and a corrupted transfer is one whose data
 * did not arrive as sent.
 *
 * @param transfers        completed and checked transfers
 * @param bytes            bytes of those transfers
 * @param corruptedWrites  writes whose data the server found wrong
 * @param corruptedReads   reads whose data the client found wrong
 * @param churns           changes made to client buffers
 * @param corruptedAfter   corrupted transfers by the last change made to the buffer before
 *                         them
 * @param corruptedUnchanged corrupted transfers on buffers not changed since they were
 *                         allocated: their address was registered for an earlier buffer
 */
public record TransferTotals(long transfers, long bytes, long corruptedWrites,
        long corruptedReads, long churns, Map<ChurnKind, Long> corruptedAfter,
        long corruptedUnchanged) {

    /** Copies the map; negative counts are rejected. */
    public TransferTotals {
        if (transfers < 0 || bytes < 0 || corruptedWrites < 0 || corruptedReads < 0
                || churns < 0 || corruptedUnchanged < 0) {
            throw new IllegalArgumentException("negative count");
        }
        EnumMap<ChurnKind, Long> copy = new EnumMap<>(ChurnKind.class);
        copy.putAll(corruptedAfter);
        corruptedAfter = Collections.unmodifiableMap(copy);
    }

    /** All zero. */
    public static TransferTotals none() {
        return new TransferTotals(0, 0, 0, 0, 0, Map.of(), 0);
    }

    /** Corrupted transfers of both directions. */
    public long corrupted() {
        return corruptedWrites + corruptedReads;
    }

    /** What happened between {@code before} (an earlier snapshot of the same counters) and
     *  this. */
    public TransferTotals minus(TransferTotals before) {
        EnumMap<ChurnKind, Long> after = new EnumMap<>(ChurnKind.class);
        corruptedAfter.forEach((kind, n) -> {
            long difference = n - before.corruptedAfter.getOrDefault(kind, 0L);
            if (difference != 0) {
                after.put(kind, difference);
            }
        });
        return new TransferTotals(transfers - before.transfers, bytes - before.bytes,
                corruptedWrites - before.corruptedWrites, corruptedReads - before.corruptedReads,
                churns - before.churns, after, corruptedUnchanged - before.corruptedUnchanged);
    }

    /** The sum of this and {@code other}. */
    public TransferTotals plus(TransferTotals other) {
        EnumMap<ChurnKind, Long> after = new EnumMap<>(ChurnKind.class);
        after.putAll(corruptedAfter);
        other.corruptedAfter.forEach((kind, n) -> after.merge(kind, n, Long::sum));
        return new TransferTotals(transfers + other.transfers, bytes + other.bytes,
                corruptedWrites + other.corruptedWrites, corruptedReads + other.corruptedReads,
                churns + other.churns, after, corruptedUnchanged + other.corruptedUnchanged);
    }
}
