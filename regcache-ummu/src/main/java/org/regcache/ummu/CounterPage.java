package org.regcache.ummu;

import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 64-bit generation counter at offset 0 of the page mapped from /dev/ummunotify, which the
 * kernel increments (WRITE_ONCE, under its queue lock) once per invalidation hitting a watched
 * range, before the unmapping call returns.
 *
 * <p>{@link #getAcquire()} is one acquire load through a {@link VarHandle} view of a direct
 * buffer: no system call, no allocation, no JNI transition, and the loads that follow it in
 * program order cannot be reordered before it.
 */
final class CounterPage {
    private static final VarHandle LONGS =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final ByteBuffer view;

    /** @param page the mapped page (or, for tests and benchmarks, native memory of 8+ bytes) */
    CounterPage(Pointer page) {
        this.view = page.getByteBuffer(0, Long.BYTES);
    }

    long getAcquire() {
        return (long) LONGS.getAcquire(view, 0);
    }

    /** Release store; only for memory the test owns (the device page is read-only). */
    void setRelease(long value) {
        LONGS.setRelease(view, 0, value);
    }
}
