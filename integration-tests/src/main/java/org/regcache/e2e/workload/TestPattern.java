package org.regcache.e2e.workload;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The known data of a transfer: a pseudo-random byte sequence chosen by a seed, with the seed
 * itself stamped every {@value #STAMP_INTERVAL} bytes. Every transfer uses a new seed, so a
 * page that a stale registration still points at holds another seed's data and never matches
 * (the stamps make that certain, not just likely). Filling and comparing are bulk copies and a
 * vectorised mismatch, cheap next to the transfer itself.
 *
 * <p>An instance holds the scratch buffer for comparisons and belongs to one thread.
 */
public final class TestPattern {
    /** Distance between two stamps of the seed. */
    public static final int STAMP_INTERVAL = 512;
    private static final int PERIOD = 1 << 16;
    private static final byte[] NOISE = noise();

    private final ByteBuffer expected;

    /** A checker for transfers of up to {@code maxLength} bytes. */
    public TestPattern(int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be >= 1, was " + maxLength);
        }
        this.expected = ByteBuffer.allocate(maxLength);
    }

    private static byte[] noise() {
        byte[] noise = new byte[PERIOD + STAMP_INTERVAL];
        new SplittableRandom(0x5eed_da7aL).nextBytes(noise);
        return noise;
    }

    /** Writes the pattern of {@code seed} into {@code [offset, offset + length)} of target. */
    public static void fill(ByteBuffer target, int offset, int length, long seed) {
        ByteBuffer out = target.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int start = (int) (mix(seed) & (PERIOD - 1));
        for (int done = 0; done < length; done += STAMP_INTERVAL) {
            int chunk = Math.min(STAMP_INTERVAL, length - done);
            int from = (start + done) & (PERIOD - 1);
            out.put(offset + done, NOISE, from, chunk);
            if (chunk >= Long.BYTES) {
                out.putLong(offset + done, seed);
            }
        }
    }

    /**
     * Index (relative to {@code offset}) of the first byte of {@code [offset, offset + length)}
     * that differs from the pattern of {@code seed}, or -1 if the range holds exactly that
     * pattern.
     *
     * @throws IllegalArgumentException if length exceeds this checker's maximum
     */
    public int firstMismatch(ByteBuffer actual, int offset, int length, long seed) {
        if (length > expected.capacity()) {
            throw new IllegalArgumentException("length " + length + " exceeds the maximum "
                    + expected.capacity());
        }
        fill(expected, 0, length, seed);
        return actual.slice(offset, length).mismatch(expected.slice(0, length));
    }

    /** Whether {@code [offset, offset + length)} holds exactly the pattern of {@code seed}. */
    public boolean matches(ByteBuffer actual, int offset, int length, long seed) {
        return firstMismatch(actual, offset, length, seed) < 0;
    }

    /** A 64-bit finaliser (from SplitMix64) spreading consecutive seeds over the noise. */
    private static long mix(long seed) {
        long z = seed + 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
