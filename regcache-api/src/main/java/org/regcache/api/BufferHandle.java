package org.regcache.api;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;

/**
 * A {@link RegistrationHandle} acquired for a {@link ByteBuffer}: the cache's handle plus a
 * strong reference to the buffer until release. Without it the buffer could be collected while
 * the NIC still uses its memory, and its cleaner would {@code free()} that memory, which the
 * allocator may hand out again without unmapping it (so no invalidation reaches the cache).
 */
final class BufferHandle implements RegistrationHandle {
    private final RegistrationHandle handle;
    private final ByteBuffer buffer;

    BufferHandle(RegistrationHandle handle, ByteBuffer buffer) {
        this.handle = handle;
        this.buffer = buffer;
    }

    @Override
    public long address() {
        return handle.address();
    }

    @Override
    public long length() {
        return handle.length();
    }

    @Override
    public int lkey() {
        return handle.lkey();
    }

    @Override
    public int rkey() {
        return handle.rkey();
    }

    @Override
    public Registration registration() {
        return handle.registration();
    }

    /** Releases the cache's handle; the buffer is reachable at least until it returns. */
    @Override
    public void close() {
        try {
            handle.close();
        } finally {
            Reference.reachabilityFence(buffer);
        }
    }

    @Override
    public String toString() {
        return handle + " of " + buffer;
    }
}
