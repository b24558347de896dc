package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link RegistrationCache#acquire(ByteBuffer, java.util.Set)} and its offset form. */
class ByteBufferAcquireTest extends CacheFixture {
    /** The low 30 bits of a direct buffer's address, as the JDK itself reports them. */
    private static final int ALIGNMENT_UNIT = 1 << 30;

    private static long low30(ByteBuffer buffer, int index) {
        return buffer.alignmentOffset(index, ALIGNMENT_UNIT);
    }

    @Test
    void remainingBytesFromPositionToLimitAreRegistered() throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
        buffer.position(100).limit(5000);
        try (RegistrationCache cache = cache();
                RegistrationHandle h = cache.acquire(buffer, LOCAL_WRITE)) {
            assertEquals(4900, h.length());
            assertEquals(low30(buffer, 100), h.address() & (ALIGNMENT_UNIT - 1),
                    "the address of byte 100, as the JDK reports its alignment");
            assertTrue(h.registration().covers(h.address(), h.length()));
            assertEquals(100, buffer.position(), "position unchanged");
            assertEquals(5000, buffer.limit(), "limit unchanged");
        }
        assertNoViolations();
    }

    @Test
    void offsetFormIgnoresThePosition() throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
        buffer.position(7);
        try (RegistrationCache cache = cache();
                RegistrationHandle whole = cache.acquire(buffer, 0, buffer.capacity(), NONE);
                RegistrationHandle part = cache.acquire(buffer, 8192, 4096, NONE)) {
            assertEquals(whole.address() + 8192, part.address());
            assertEquals(4096, part.length());
            assertEquals(low30(buffer, 8192), part.address() & (ALIGNMENT_UNIT - 1));
        }
    }

    @Test
    void aSliceHitsTheRegistrationOfTheBufferItWasSlicedFrom() throws Exception {
        ByteBuffer big = ByteBuffer.allocateDirect((int) MIB);
        try (RegistrationCache cache = cache()) {
            Registration whole;
            long base;
            try (RegistrationHandle h = cache.acquire(big, RW)) {
                whole = h.registration();
                base = h.address();
            }
            ByteBuffer slice = big.slice(5 * (int) PAGE + 3, (int) PAGE);
            try (RegistrationHandle h = cache.acquire(slice, LOCAL_WRITE)) {
                assertSame(whole, h.registration(), "contained in the big registration: a hit");
                assertEquals(base + 5 * PAGE + 3, h.address());
                assertEquals(PAGE, h.length());
            }
            ByteBuffer view = big.duplicate().position(1000).limit(3000);
            try (RegistrationHandle h = cache.acquire(view, LOCAL_WRITE)) {
                assertSame(whole, h.registration());
                assertEquals(base + 1000, h.address());
            }
            assertEquals(2, cache.stats().hits());
            assertEquals(1, cache.stats().misses());
            assertEquals(1, registrar.registers.get());
        }
        assertNoViolations();
    }

    @Test
    void aHeapBufferIsRefusedWithTheRemedy() {
        try (RegistrationCache cache = cache()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cache.acquire(ByteBuffer.allocate(4096), NONE));
            assertTrue(e.getMessage().contains("heap ByteBuffer"), e.getMessage());
            assertTrue(e.getMessage().contains("ByteBuffer.allocateDirect"), e.getMessage());
            assertEquals(0, cache.stats().misses(), "not counted as an acquire");
        }
        assertEquals(0, registrar.registers.get());
    }

    @Test
    void aReadOnlyViewIsRefusedWhateverTheRightsAskedFor() throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        ByteBuffer readOnly = buffer.asReadOnlyBuffer();
        try (RegistrationCache cache = cache()) {
            try (RegistrationHandle h = cache.acquire(buffer, RW)) {
                assertTrue(h.registration().access().contains(Access.LOCAL_WRITE));
            }
            int registers = registrar.registers.get();
            for (Set<Access> rights : List.of(NONE, EnumSet.of(Access.REMOTE_READ), RW,
                    EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_ATOMIC))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> cache.acquire(readOnly, rights), rights.toString());
                assertTrue(e.getMessage().contains("read-only ByteBuffer"), e.getMessage());
                assertTrue(e.getMessage().contains("writable buffer it is a view of"),
                        e.getMessage());
                assertThrows(IllegalArgumentException.class,
                        () -> cache.acquire(readOnly, 0, 100, rights), rights.toString());
            }
            assertEquals(registers, registrar.registers.get());
            assertEquals(0, cache.stats().hits(), "a refused view is not counted as a hit");
        }
    }

    @Test
    void rangesOutsideTheLimitAreIndexErrors() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(8192);
        buffer.limit(4096);
        try (RegistrationCache cache = cache()) {
            assertThrows(IndexOutOfBoundsException.class,
                    () -> cache.acquire(buffer, -1, 10, NONE));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> cache.acquire(buffer, 0, 4097, NONE), "past the limit");
            assertThrows(IndexOutOfBoundsException.class,
                    () -> cache.acquire(buffer, 4000, 100, NONE));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> cache.acquire(buffer, 10, -1, NONE));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> cache.acquire(buffer, Integer.MAX_VALUE, 2, NONE), "overflow");
            assertEquals(0, cache.stats().misses());
        }
        assertEquals(0, registrar.registers.get());
    }

    @Test
    void anEmptyRangeIsRefused() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        buffer.position(4096);
        try (RegistrationCache cache = cache()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cache.acquire(buffer, NONE), "nothing remains");
            assertTrue(e.getMessage().contains("nothing to register"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cache.acquire(buffer, 0, 0, NONE));
        }
        assertEquals(0, registrar.registers.get());
    }

    @Test
    void nullArgumentsAreNamed() {
        try (RegistrationCache cache = cache()) {
            NullPointerException e = assertThrows(NullPointerException.class,
                    () -> cache.acquire((ByteBuffer) null, NONE));
            assertEquals("buffer", e.getMessage());
            e = assertThrows(NullPointerException.class,
                    () -> cache.acquire(ByteBuffer.allocateDirect(16), null));
            assertEquals("access", e.getMessage());
        }
    }

    @Test
    void theUncachedCacheTakesBuffersToo() throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        try (RegistrationCache cache = RegistrationCache.builder().registrar(registrar)
                .uncached().build()) {
            try (RegistrationHandle h = cache.acquire(buffer, LOCAL_WRITE)) {
                assertEquals(4096, h.length());
                assertEquals(1, registrar.live.size());
            }
            assertEquals(0, registrar.live.size(), "deregistered at release");
        }
        assertNoViolations();
    }

    @Test
    void aClosedCacheRefusesBuffers() {
        RegistrationCache cache = cache();
        cache.close();
        assertThrows(CacheClosedException.class,
                () -> cache.acquire(ByteBuffer.allocateDirect(16), NONE));
    }

    /** More buffers than the address memo has slots: every lookup returns its own address. */
    @Test
    void theAddressMemoNeverAnswersForAnotherBuffer() {
        ByteBuffer[] buffers = new ByteBuffer[2 * DirectBuffers.MEMO_SLOTS];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = ByteBuffer.allocateDirect(16);
        }
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < buffers.length; i++) {
                long address = DirectBuffers.address(buffers[i], 3, 8, NONE);
                assertEquals(low30(buffers[i], 3), address & (ALIGNMENT_UNIT - 1),
                        "buffer " + i + ", pass " + pass);
            }
        }
    }

    /** A mutant that drops the buffer from the handle fails here (checked once by hand). */
    @Test
    void theHandleKeepsTheBufferReachableUntilReleased() throws Exception {
        try (RegistrationCache cache = cache()) {
            RegistrationHandle h = acquireUnreferencedBuffer(cache);
            for (int i = 0; i < 5 && weakBuffer.get() != null; i++) {
                System.gc();
            }
            assertNotNull(weakBuffer.get(), "collected while its handle is live");
            h.close();
        }
    }

    private WeakReference<ByteBuffer> weakBuffer;

    /** Acquires a buffer that only the handle refers to; remembers it weakly. */
    private RegistrationHandle acquireUnreferencedBuffer(RegistrationCache cache)
            throws RegistrationException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        weakBuffer = new WeakReference<>(buffer);
        return cache.acquire(buffer, NONE);
    }
}
