package org.regcache.e2e.memory;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc calls that change a process's mappings: mmap, munmap, madvise, mremap (JNA direct
 * mapping). The constants are Linux's generic ones, valid on x86_64 and arm64. A failing call
 * throws {@link LastErrorException} with its errno.
 */
final class LibC {
    static final int PROT_NONE = 0;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_FIXED_NOREPLACE = 0x100000;
    static final int MADV_DONTNEED = 4;
    static final int MREMAP_MAYMOVE = 1;
    static final int MREMAP_FIXED = 2;
    static final int EEXIST = 17;

    static {
        if (!Platform.isLinux()) {
            throw new UnsupportedOperationException("the memory churn of the end-to-end tests"
                    + " uses Linux's mmap flags; this is " + System.getProperty("os.name"));
        }
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    static native Pointer mmap(Pointer address, long length, int protection, int flags, int fd,
            long offset) throws LastErrorException;

    static native int munmap(Pointer address, long length) throws LastErrorException;

    static native int madvise(Pointer address, long length, int advice)
            throws LastErrorException;

    static native Pointer mremap(Pointer oldAddress, long oldSize, long newSize, int flags,
            Pointer newAddress) throws LastErrorException;
}
