package org.regcache.e2e.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The memory changes themselves, in this (host) process: plain libc, no device. */
class BufferPoolTest {
    private static final int SIZE = 4 * BufferPool.PAGE_SIZE;
    private final SplittableRandom random = new SplittableRandom(3);

    private static void fill(ClientBuffer buffer, byte value) {
        ByteBuffer view = buffer.view();
        for (int i = 0; i < view.capacity(); i++) {
            view.put(i, value);
        }
    }

    private static int countOf(ClientBuffer buffer, byte value) {
        ByteBuffer view = buffer.view();
        int n = 0;
        for (int i = 0; i < view.capacity(); i++) {
            n += view.get(i) == value ? 1 : 0;
        }
        return n;
    }

    @Test
    void remappingKeepsTheAddressAndGivesFreshPages() {
        try (BufferPool pool = BufferPool.allocate(1, SIZE,
                EnumSet.of(ChurnKind.MUNMAP_MMAP, ChurnKind.MAP_FIXED_REPLACE))) {
            ClientBuffer buffer = pool.buffer(0);
            for (ChurnKind kind : new ChurnKind[] {ChurnKind.MUNMAP_MMAP,
                ChurnKind.MAP_FIXED_REPLACE}) {
                long address = buffer.address();
                fill(buffer, (byte) 7);
                pool.churn(kind, 0, random);
                if (kind == ChurnKind.MAP_FIXED_REPLACE || pool.displacedRemaps() == 0) {
                    assertEquals(address, buffer.address(), kind.name());
                }
                assertEquals(SIZE, countOf(buffer, (byte) 0), kind + " gives zero pages");
            }
        }
    }

    @Test
    void discardingZeroesSomeWholePagesOnly() {
        try (BufferPool pool = BufferPool.allocate(1, SIZE,
                EnumSet.of(ChurnKind.MADVISE_DONTNEED))) {
            ClientBuffer buffer = pool.buffer(0);
            fill(buffer, (byte) 7);
            pool.churn(ChurnKind.MADVISE_DONTNEED, 0, random);
            int zeros = countOf(buffer, (byte) 0);
            assertTrue(zeros > 0 && zeros % BufferPool.PAGE_SIZE == 0, "zeroed: " + zeros);
            assertEquals(SIZE, zeros + countOf(buffer, (byte) 7));
        }
    }

    @Test
    void aMoveTakesThePagesAlongAndTheNextBufferMovesIntoThePlaceLeft() {
        try (BufferPool pool = BufferPool.allocate(2, SIZE, EnumSet.of(ChurnKind.MREMAP_MOVE))) {
            ClientBuffer first = pool.buffer(0);
            ClientBuffer second = pool.buffer(1);
            fill(first, (byte) 1);
            fill(second, (byte) 2);
            long place = first.address();
            pool.churn(ChurnKind.MREMAP_MOVE, 0, random);
            assertNotEquals(place, first.address());
            assertEquals(SIZE, countOf(first, (byte) 1), "the contents moved along");
            pool.churn(ChurnKind.MREMAP_MOVE, 1, random);
            assertEquals(place, second.address(), "the second buffer took the place left");
            assertEquals(SIZE, countOf(second, (byte) 2));
        }
    }

    @Test
    void directBuffersAreReallocatedAndMappingsAreNot() {
        try (BufferPool pool = BufferPool.allocate(2, SIZE,
                EnumSet.of(ChurnKind.DIRECT_REALLOCATE, ChurnKind.MUNMAP_MMAP))) {
            assertTrue(pool.buffer(0) instanceof MappedClientBuffer);
            assertTrue(pool.buffer(1) instanceof DirectClientBuffer);
            fill(pool.buffer(1), (byte) 5);
            pool.churn(ChurnKind.DIRECT_REALLOCATE, 1, random);
            assertEquals(SIZE, pool.buffer(1).view().capacity());
            assertThrows(IllegalArgumentException.class,
                    () -> pool.churn(ChurnKind.DIRECT_REALLOCATE, 0, random));
            assertThrows(IllegalArgumentException.class,
                    () -> pool.churn(ChurnKind.MADVISE_DONTNEED, 0, random),
                    "a kind not enabled");
            for (int i = 0; i < 50; i++) {
                BufferPool.Churn churn = pool.churnRandom(random);
                assertEquals(churn.kind().onMappedMemory(),
                        pool.buffer(churn.buffer()) instanceof MappedClientBuffer);
            }
        }
    }

    @Test
    void badPoolsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> BufferPool.allocate(1, 1000, EnumSet.noneOf(ChurnKind.class)));
        assertThrows(IllegalArgumentException.class,
                () -> BufferPool.allocate(0, SIZE, EnumSet.noneOf(ChurnKind.class)));
        assertThrows(IllegalArgumentException.class,
                () -> BufferPool.allocate(1, SIZE, EnumSet.of(ChurnKind.MREMAP_MOVE)));
        try (BufferPool pool = BufferPool.allocate(1, SIZE, EnumSet.noneOf(ChurnKind.class))) {
            assertThrows(IllegalStateException.class, () -> pool.churnRandom(random));
        }
    }
}
