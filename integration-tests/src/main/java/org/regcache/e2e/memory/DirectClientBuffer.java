package org.regcache.e2e.memory;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * A {@link ClientBuffer} that is a direct ByteBuffer over malloc'ed memory ({@link
 * DirectMemory}).
 */
final class DirectClientBuffer implements ClientBuffer {
    private final int size;
    private ByteBuffer buffer;
    private long address;

    DirectClientBuffer(int size) {
        this.size = size;
        allocate();
    }

    private void allocate() {
        buffer = DirectMemory.allocate(size);
        address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    }

    /** Frees the buffer and allocates a new one (possibly at the same address). */
    void reallocate() {
        DirectMemory.free(buffer);
        allocate();
    }

    @Override
    public long address() {
        return address;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public ByteBuffer view() {
        return buffer.duplicate().clear();
    }

    void free() {
        DirectMemory.free(buffer);
        buffer = null;
    }

    @Override
    public String toString() {
        return "direct buffer at 0x" + Long.toHexString(address) + " (" + size + " bytes)";
    }
}
