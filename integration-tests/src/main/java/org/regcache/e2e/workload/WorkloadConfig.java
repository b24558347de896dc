package org.regcache.e2e.workload;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.regcache.e2e.memory.BufferPool;
import org.regcache.e2e.memory.ChurnKind;

/**
 * What a {@link Workload} does: each of {@code threads} workers has its own connection and
 * {@code buffersPerThread} buffers of {@link #bufferSize()} bytes, and repeats rounds of an
 * RDMA WRITE and an RDMA READ of one of {@code sizes} bytes at a random size-aligned offset of
 * a random buffer; before each transfer it changes a random buffer with probability
 * {@code churnProbability}, in one of {@code churnKinds}.
 *
 * @param sizes             transfer sizes in bytes, each from {@value #MIN_SIZE} to
 *                          {@value #MAX_SIZE}
 * @param threads           worker threads, each with its own connection and buffers
 * @param buffersPerThread  buffers of each worker
 * @param churnKinds        the changes made to buffers (empty: none)
 * @param churnProbability  chance of a change before each transfer, 0 to 1
 * @param duration          how long the workers run
 * @param maxTransfersPerThread stop a worker after this many transfers; 0 for no limit
 * @param seed              seed of every random choice (worker i uses seed + i)
 */
public record WorkloadConfig(List<Integer> sizes, int threads, int buffersPerThread,
        Set<ChurnKind> churnKinds, double churnProbability, Duration duration,
        long maxTransfersPerThread, long seed) {

    /** Smallest transfer: room for the pattern's seed stamp. */
    public static final int MIN_SIZE = 8;
    /** Largest transfer (DiSNI's int lengths; far beyond what a demo needs). */
    public static final int MAX_SIZE = 1 << 30;

    /** Checks every parameter and copies the collections. */
    public WorkloadConfig {
        Objects.requireNonNull(sizes, "sizes");
        Objects.requireNonNull(churnKinds, "churnKinds");
        Objects.requireNonNull(duration, "duration");
        if (sizes.isEmpty()) {
            throw new IllegalArgumentException("at least one transfer size is needed");
        }
        for (int size : sizes) {
            if (size < MIN_SIZE || size > MAX_SIZE) {
                throw new IllegalArgumentException("transfer size " + size + " is outside "
                        + MIN_SIZE + " .. " + MAX_SIZE + " bytes");
            }
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        int minimumBuffers = churnKinds.contains(ChurnKind.MREMAP_MOVE) ? 2 : 1;
        if (buffersPerThread < minimumBuffers) {
            throw new IllegalArgumentException("buffersPerThread must be >= " + minimumBuffers
                    + ", was " + buffersPerThread);
        }
        if (!(churnProbability >= 0 && churnProbability <= 1)) {
            throw new IllegalArgumentException("churnProbability must be within 0 .. 1, was "
                    + churnProbability);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration must be positive, was " + duration);
        }
        if (maxTransfersPerThread < 0) {
            throw new IllegalArgumentException("maxTransfersPerThread must be >= 0, was "
                    + maxTransfersPerThread);
        }
        sizes = List.copyOf(sizes);
        churnKinds = Collections.unmodifiableSet(churnKinds.isEmpty()
                ? EnumSet.noneOf(ChurnKind.class) : EnumSet.copyOf(churnKinds));
    }

    /** The largest transfer size. */
    public int maxSize() {
        return Collections.max(sizes);
    }

    /** Size of every buffer: the largest transfer, rounded up to whole pages. */
    public int bufferSize() {
        long pages = (maxSize() + (long) BufferPool.PAGE_SIZE - 1) / BufferPool.PAGE_SIZE;
        return Math.toIntExact(pages * BufferPool.PAGE_SIZE);
    }

    /** The same configuration with another seed. */
    public WorkloadConfig withSeed(long newSeed) {
        return new WorkloadConfig(sizes, threads, buffersPerThread, churnKinds,
                churnProbability, duration, maxTransfersPerThread, newSeed);
    }

    /** The same configuration with another duration. */
    public WorkloadConfig withDuration(Duration newDuration) {
        return new WorkloadConfig(sizes, threads, buffersPerThread, churnKinds,
                churnProbability, newDuration, maxTransfersPerThread, seed);
    }
}
