package org.regcache.ummu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/** The memory calls the guest tests use to change mappings (x86_64/arm64 constants). */
final class GuestLibC {
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final int MREMAP_MAYMOVE = 1;
    static final int MREMAP_FIXED = 2;
    static final int MADV_DONTNEED = 4;

    static {
        Native.register(GuestLibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private GuestLibC() {
    }

    static native Pointer mmap(Pointer address, long length, int protection, int flags, int fd,
            long offset) throws LastErrorException;

    static native int munmap(Pointer address, long length) throws LastErrorException;

    static native Pointer mremap(Pointer old, long oldSize, long newSize, int flags,
            Pointer newAddress) throws LastErrorException;

    static native int madvise(Pointer address, long length, int advice)
            throws LastErrorException;

    /** A fresh private anonymous read-write mapping. */
    static long mapAnonymous(long length) {
        return Pointer.nativeValue(mmap(null, length, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    }

    /** Replaces [address, address + length) by fresh anonymous memory (MAP_FIXED). */
    static void mapAnonymousAt(long address, long length) {
        mmap(new Pointer(address), length, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    }
}
