package org.regcache.e2e.workload;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.regcache.e2e.memory.ChurnKind;

/**
 * Live counters of one worker, written by the worker's thread and read at any time by a
 * progress reporter.
 */
final class TransferCounters {
    private final LongAdder transfers = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder corruptedWrites = new LongAdder();
    private final LongAdder corruptedReads = new LongAdder();
    private final LongAdder churns = new LongAdder();
    private final Map<ChurnKind, LongAdder> corruptedAfter = new EnumMap<>(ChurnKind.class);
    private final LongAdder corruptedUnchanged = new LongAdder();

    TransferCounters() {
        for (ChurnKind kind : ChurnKind.values()) {
            corruptedAfter.put(kind, new LongAdder());
        }
    }

    /**
     * Counts one checked transfer.
     *
     * @param lastChurn the last change made to the buffer before it, or null
     */
    void transfer(boolean write, int length, boolean intact, ChurnKind lastChurn) {
        transfers.increment();
        bytes.add(length);
        if (!intact) {
            (write ? corruptedWrites : corruptedReads).increment();
            if (lastChurn != null) {
                corruptedAfter.get(lastChurn).increment();
            } else {
                corruptedUnchanged.increment();
            }
        }
    }

    void churn() {
        churns.increment();
    }

    TransferTotals snapshot() {
        Map<ChurnKind, Long> after = new EnumMap<>(ChurnKind.class);
        corruptedAfter.forEach((kind, n) -> {
            long sum = n.sum();
            if (sum > 0) {
                after.put(kind, sum);
            }
        });
        return new TransferTotals(transfers.sum(), bytes.sum(), corruptedWrites.sum(),
                corruptedReads.sum(), churns.sum(), after, corruptedUnchanged.sum());
    }
}
