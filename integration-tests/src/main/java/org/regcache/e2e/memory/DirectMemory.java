package org.regcache.e2e.memory;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * Direct ByteBuffers over memory from libc's {@code malloc()}, freed with {@code free()} at
 * once, as frameworks that pool direct buffers do, instead of waiting for the garbage
 * collector. JNA's JNI calls do it without internal APIs ({@code sun.misc.Unsafe.invokeCleaner}
 * warns on JDK 24 and later), so the demo runs without warnings on JDK 17 and 25.
 */
final class DirectMemory {
    private DirectMemory() {
    }

    /** Allocates {@code size} bytes with malloc() and returns a direct buffer over them. */
    static ByteBuffer allocate(int size) {
        long address = Native.malloc(size);
        if (address == 0) {
            throw new OutOfMemoryError("malloc(" + size + ") failed");
        }
        return new Pointer(address).getByteBuffer(0, size);
    }

    /**
     * Frees the memory of a buffer from {@link #allocate}; neither the buffer nor any view of
     * it may be used afterwards.
     */
    static void free(ByteBuffer buffer) {
        Native.free(Pointer.nativeValue(Native.getDirectBufferPointer(buffer)));
    }
}
