package org.regcache.e2e.memory;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/** A {@link ClientBuffer} that is an anonymous private mapping of its own. */
final class MappedClientBuffer implements ClientBuffer {
    private final int size;
    private long address;
    private ByteBuffer view;

    MappedClientBuffer(int size) {
        this.size = size;
        this.address = Mappings.map(size);
    }

    /**
     * munmap(), then a fresh mapping at the same address.
     *
     * @return false if another thread mapped something there in between; the buffer then
     *     lives at a new address
     */
    boolean unmapAndMapAgain() {
        Mappings.unmap(address, size);
        if (Mappings.mapAtIfFree(address, size, true)) {
            return true;
        }
        address = Mappings.map(size);
        view = null;
        return false;
    }

    /** mmap(MAP_FIXED) of a fresh mapping over this one. */
    void replaceInPlace() {
        Mappings.replace(address, size);
    }

    /** madvise(MADV_DONTNEED) of {@code [offset, offset + length)}, page aligned. */
    void discard(int offset, int length) {
        Mappings.discard(address + offset, length);
    }

    /**
     * Moves the pages to {@code destination} (replacing what is mapped there) with mremap().
     *
     * @return the address the buffer left, now unmapped
     */
    long moveTo(long destination) {
        long left = address;
        Mappings.move(address, size, destination);
        address = destination;
        view = null;
        return left;
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
        if (view == null) {
            view = new Pointer(address).getByteBuffer(0, size);
        }
        return view.duplicate().clear();
    }

    void unmap() {
        Mappings.unmap(address, size);
        view = null;
    }

    @Override
    public String toString() {
        return "mapping at 0x" + Long.toHexString(address) + " (" + size + " bytes)";
    }
}
