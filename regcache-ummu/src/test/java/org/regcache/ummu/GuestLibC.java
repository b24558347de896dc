package org.regcache.ummu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc calls of the guest tests: those that change mappings, and the pipe calls of the
 * imitation NIC ({@link PinnedPages}: a pipe that holds references to user pages, vmsplice, and
 * copies of those references, tee). Linux constants of the generic ABI (x86_64, arm64);
 * size_t/ssize_t mapped to long: LP64 only.
 */
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
    static final int O_CLOEXEC = 0x80000;
    /** fcntl(2) command: set a pipe's capacity in bytes (rounded up to a power of 2 pages). */
    static final int F_SETPIPE_SZ = 1031;
    /** splice(2) flag: fail with EAGAIN rather than block on a full or empty pipe. */
    static final int SPLICE_F_NONBLOCK = 0x02;

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

    /** Fills {@code fds} with the read end, then the write end, of a new pipe. */
    static native int pipe2(int[] fds, int flags) throws LastErrorException;

    static native int fcntl(int fd, int command, int argument) throws LastErrorException;

    /** Splices the user pages described by {@code segments} iovecs into the pipe {@code fd}. */
    static native long vmsplice(int fd, Pointer iovecs, long segments, int flags)
            throws LastErrorException;

    /** Duplicates up to {@code length} bytes of pipe {@code in} into pipe {@code out}. */
    static native long tee(int in, int out, long length, int flags) throws LastErrorException;

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
