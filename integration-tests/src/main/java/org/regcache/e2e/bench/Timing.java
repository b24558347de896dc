package org.regcache.e2e.bench;

import java.util.Arrays;

/**
 * Measures the mean time of an operation by running it in growing batches until a minimum
 * time has passed, several times, and taking the median of those means (robust against a
 * neighbour on the machine taking the CPU for a while).
 */
final class Timing {
    /** One operation to time. */
    @FunctionalInterface
    interface Operation {
        void run() throws Exception;
    }

    private Timing() {
    }

    /**
     * Median over {@code repeats} blocks of the mean nanoseconds per operation, each block
     * running at least {@code minNanos}; a first block of the same length is run and discarded
     * (JIT warm-up).
     */
    static double medianNanosPerOperation(Operation operation, long minNanos, int repeats)
            throws Exception {
        if (repeats < 1) {
            throw new IllegalArgumentException("repeats must be >= 1, was " + repeats);
        }
        meanNanos(operation, minNanos);
        double[] means = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            means[i] = meanNanos(operation, minNanos);
        }
        return median(means);
    }

    /** Runs batches of 1, 2, 4, ... operations until {@code minNanos} passed; the mean. */
    static double meanNanos(Operation operation, long minNanos) throws Exception {
        long operations = 0;
        long batch = 1;
        long start = System.nanoTime();
        long elapsed;
        do {
            for (long i = 0; i < batch; i++) {
                operation.run();
            }
            operations += batch;
            batch = Math.min(batch * 2, 1 << 20);
            elapsed = System.nanoTime() - start;
        } while (elapsed < minNanos);
        return (double) elapsed / operations;
    }

    /** The median of the values (the mean of the middle two for an even count). */
    static double median(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle]
                : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
