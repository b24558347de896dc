package org.regcache.e2e.memory;

/**
 * The ways a {@link BufferPool} changes a buffer's memory behind the registration cache: each
 * is an event after which a registration made before it may point at pages that are no longer
 * the buffer's (a <em>stale</em> registration).
 */
public enum ChurnKind {
    /** Frees a direct ByteBuffer and allocates a new one of the same size (malloc may hand out
     *  the same address, with or without the same pages). */
    DIRECT_REALLOCATE("direct ByteBuffer freed and allocated again", false),
    /** munmap() of the whole buffer, then a fresh mapping at the same address. */
    MUNMAP_MMAP("munmap + mmap at the same address", true),
    /** mmap(MAP_FIXED) of a fresh mapping over the live one: no gap, new pages. */
    MAP_FIXED_REPLACE("mmap(MAP_FIXED) over the live mapping", true),
    /** madvise(MADV_DONTNEED) on some pages: they read back as new zero-filled pages. */
    MADVISE_DONTNEED("madvise(MADV_DONTNEED) of some pages", true),
    /** mremap() moves the buffer to a spare place; the place it left becomes the spare, so
     *  another buffer moves in there later. */
    MREMAP_MOVE("mremap to another address, another buffer moves in", true);

    private final String description;
    private final boolean mappedMemory;

    ChurnKind(String description, boolean mappedMemory) {
        this.description = description;
        this.mappedMemory = mappedMemory;
    }

    /** What the change does, for output. */
    public String description() {
        return description;
    }

    /** Whether it applies to buffers made with mmap (else to direct ByteBuffers). */
    public boolean onMappedMemory() {
        return mappedMemory;
    }
}
