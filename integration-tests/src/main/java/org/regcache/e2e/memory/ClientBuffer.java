package org.regcache.e2e.memory;

import java.nio.ByteBuffer;

/**
 * A client's buffer in a {@link BufferPool}: memory whose contents, physical pages and even
 * address the pool changes behind the registration cache's back, as applications do.
 */
public interface ClientBuffer {

    /** Current start address; changes only when the pool moves or reallocates the buffer. */
    long address();

    /** Size in bytes, a multiple of {@link BufferPool#PAGE_SIZE}. */
    int size();

    /**
     * A direct ByteBuffer over {@code [address(), address() + size())}, position 0, limit
     * {@code size()}. Valid until the pool changes this buffer next.
     */
    ByteBuffer view();
}
