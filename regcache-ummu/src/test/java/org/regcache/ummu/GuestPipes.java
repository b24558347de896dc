package org.regcache.ummu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The pipe calls of the guest tests' imitation NIC ({@link PinnedPages}): a pipe that holds
 * references to user pages (vmsplice), and copies of those references (tee). Linux constants of
 * the generic ABI (x86_64, arm64); size_t/ssize_t mapped to long: LP64 only.
 */
final class GuestPipes {
    static final int O_CLOEXEC = 0x80000;
    /** fcntl(2) command: set a pipe's capacity in bytes (rounded up to a power of 2 pages). */
    static final int F_SETPIPE_SZ = 1031;
    /** splice(2) flag: fail with EAGAIN rather than block on a full or empty pipe. */
    static final int SPLICE_F_NONBLOCK = 0x02;

    static {
        Native.register(GuestPipes.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private GuestPipes() {
    }

    /** Fills {@code fds} with the read end, then the write end, of a new pipe. */
    static native int pipe2(int[] fds, int flags) throws LastErrorException;

    static native int fcntl(int fd, int command, int argument) throws LastErrorException;

    /** Splices the user pages described by {@code segments} iovecs into the pipe {@code fd}. */
    static native long vmsplice(int fd, Pointer iovecs, long segments, int flags)
            throws LastErrorException;

    /** Duplicates up to {@code length} bytes of pipe {@code in} into pipe {@code out}. */
    static native long tee(int in, int out, long length, int flags) throws LastErrorException;
}
