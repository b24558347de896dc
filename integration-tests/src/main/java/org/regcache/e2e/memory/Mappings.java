package org.regcache.e2e.memory;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import org.regcache.ummu.internal.LibC;

/**
 * Anonymous private mappings and the calls that change them, by address. Every failure
 * throws {@link IllegalStateException} naming the call, its arguments and the errno.
 *
 * <p>Placing a mapping at a chosen address after an munmap() uses MAP_FIXED_NOREPLACE: between
 * the two calls another thread of the JVM may have mapped something there, which MAP_FIXED
 * would silently destroy.
 */
final class Mappings {
    private static final int READ_WRITE = LibC.PROT_READ | LibC.PROT_WRITE;
    private static final int ANONYMOUS = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS;

    private Mappings() {
    }

    /** A new read-write mapping of {@code length} bytes where the kernel chooses. */
    static long map(long length) {
        return mmap(0, length, READ_WRITE, ANONYMOUS);
    }

    /** A new inaccessible mapping of {@code length} bytes, reserving address space. */
    static long reserve(long length) {
        return mmap(0, length, LibC.PROT_NONE, ANONYMOUS);
    }

    /**
     * Maps {@code length} fresh bytes at {@code address} unless something is mapped there.
     *
     * @param readWrite read-write if true, else inaccessible (a reservation)
     * @return whether the mapping is now at {@code address}; false if the place was taken
     */
    static boolean mapAtIfFree(long address, long length, boolean readWrite) {
        int protection = readWrite ? READ_WRITE : LibC.PROT_NONE;
        long placed;
        try {
            placed = Pointer.nativeValue(LibC.mmap(new Pointer(address), length, protection,
                    ANONYMOUS | LibC.MAP_FIXED_NOREPLACE, -1, 0));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EEXIST) {
                return false;
            }
            throw failure("mmap(0x" + Long.toHexString(address) + ", " + length
                    + ", MAP_FIXED_NOREPLACE)", e);
        }
        if (placed != address) { // a kernel without MAP_FIXED_NOREPLACE took it as a hint
            unmap(placed, length);
            return false;
        }
        return true;
    }

    /** Replaces whatever is mapped at {@code address} by a fresh read-write mapping, atomically. */
    static void replace(long address, long length) {
        long placed = mmap(address, length, READ_WRITE, ANONYMOUS | LibC.MAP_FIXED);
        if (placed != address) {
            throw new IllegalStateException("mmap(MAP_FIXED) at 0x" + Long.toHexString(address)
                    + " returned 0x" + Long.toHexString(placed));
        }
    }

    static void unmap(long address, long length) {
        try {
            LibC.munmap(new Pointer(address), length);
        } catch (LastErrorException e) {
            throw failure("munmap(0x" + Long.toHexString(address) + ", " + length + ")", e);
        }
    }

    /** madvise(MADV_DONTNEED): the pages are dropped; the next touch maps zero-filled pages. */
    static void discard(long address, long length) {
        try {
            LibC.madvise(new Pointer(address), length, LibC.MADV_DONTNEED);
        } catch (LastErrorException e) {
            throw failure("madvise(0x" + Long.toHexString(address) + ", " + length
                    + ", MADV_DONTNEED)", e);
        }
    }

    /**
     * mremap(MREMAP_MAYMOVE | MREMAP_FIXED): moves the pages at {@code from} to {@code to},
     * replacing what was mapped at {@code to}; {@code from} is left unmapped.
     */
    static void move(long from, long length, long to) {
        long moved;
        try {
            moved = Pointer.nativeValue(LibC.mremap(new Pointer(from), length, length,
                    LibC.MREMAP_MAYMOVE | LibC.MREMAP_FIXED, new Pointer(to)));
        } catch (LastErrorException e) {
            throw failure("mremap(0x" + Long.toHexString(from) + ", " + length + " -> 0x"
                    + Long.toHexString(to) + ")", e);
        }
        if (moved != to) {
            throw new IllegalStateException("mremap(MREMAP_FIXED) to 0x" + Long.toHexString(to)
                    + " returned 0x" + Long.toHexString(moved));
        }
    }

    private static long mmap(long address, long length, int protection, int flags) {
        try {
            return Pointer.nativeValue(LibC.mmap(address == 0 ? null : new Pointer(address),
                    length, protection, flags, -1, 0));
        } catch (LastErrorException e) {
            throw failure("mmap(0x" + Long.toHexString(address) + ", " + length + ")", e);
        }
    }

    private static IllegalStateException failure(String call, LastErrorException e) {
        return new IllegalStateException(call + " failed: errno " + e.getErrorCode(), e);
    }
}
