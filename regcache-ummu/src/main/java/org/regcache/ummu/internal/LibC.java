package org.regcache.ummu.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The C library calls of regcache and its tests, direct-mapped ({@link Native#register}) so
 * that read() on the drain path costs one JNI transition and no proxy. Not API (see the
 * package): regcache-ummu's device, its guest tests and the end-to-end tests share it instead
 * of each binding libc again.
 *
 * <p>The constants are those of Linux on the architectures that use the generic values
 * (x86_64, arm64, riscv64); {@link #checkPlatform()} refuses others when the class loads.
 * size_t/ssize_t/off_t are mapped to long: LP64 only. Every call that can fail returns -1 (or
 * MAP_FAILED) with errno set, which JNA turns into a {@link LastErrorException} carrying the
 * errno ({@link LastErrorException#getErrorCode()}): the methods below return only on success.
 */
public final class LibC {
    /** open(2): read only. */
    public static final int O_RDONLY = 0;
    /** open(2): non-blocking I/O (read() fails with EAGAIN instead of waiting). */
    public static final int O_NONBLOCK = 0x800;
    /** open(2), pipe2(2): close on exec. */
    public static final int O_CLOEXEC = 0x80000;
    /** mmap(2): no access. */
    public static final int PROT_NONE = 0;
    /** mmap(2): readable. */
    public static final int PROT_READ = 1;
    /** mmap(2): writable. */
    public static final int PROT_WRITE = 2;
    /** mmap(2): shared with the file (the device's counter page). */
    public static final int MAP_SHARED = 0x01;
    /** mmap(2): private copy on write. */
    public static final int MAP_PRIVATE = 0x02;
    /** mmap(2): exactly at the address, replacing what was mapped there. */
    public static final int MAP_FIXED = 0x10;
    /** mmap(2): not backed by a file (fd -1). */
    public static final int MAP_ANONYMOUS = 0x20;
    /** mmap(2): no swap space reserved. */
    public static final int MAP_NORESERVE = 0x4000;
    /** mmap(2): exactly at the address, or EEXIST if anything is mapped there (Linux 4.17). */
    public static final int MAP_FIXED_NOREPLACE = 0x100000;
    /** mremap(2): the mapping may move. */
    public static final int MREMAP_MAYMOVE = 1;
    /** mremap(2): move to the new address, replacing what was mapped there. */
    public static final int MREMAP_FIXED = 2;
    /** madvise(2): drop the pages; the next access faults in fresh ones (zero, if anonymous). */
    public static final int MADV_DONTNEED = 4;
    /** poll(2): data to read. */
    public static final short POLLIN = 0x1;
    /** sysconf(3): the page size. */
    public static final int SC_PAGESIZE = 30;
    /** fcntl(2): set a pipe's capacity in bytes (rounded up to a power of 2 pages). */
    public static final int F_SETPIPE_SZ = 1031;
    /** vmsplice(2), tee(2): fail with EAGAIN rather than block on a full or empty pipe. */
    public static final int SPLICE_F_NONBLOCK = 0x02;

    /** errno: operation not permitted. */
    public static final int EPERM = 1;
    /** errno: no such file or directory. */
    public static final int ENOENT = 2;
    /** errno: interrupted system call. */
    public static final int EINTR = 4;
    /** errno: no such device or address. */
    public static final int ENXIO = 6;
    /** errno: try again (nothing to read on a non-blocking file). */
    public static final int EAGAIN = 11;
    /** errno: out of memory. */
    public static final int ENOMEM = 12;
    /** errno: permission denied. */
    public static final int EACCES = 13;
    /** errno: bad address. */
    public static final int EFAULT = 14;
    /** errno: file exists (MAP_FIXED_NOREPLACE over a mapping). */
    public static final int EEXIST = 17;
    /** errno: no such device. */
    public static final int ENODEV = 19;
    /** errno: invalid argument. */
    public static final int EINVAL = 22;
    /** errno: inappropriate ioctl for device. */
    public static final int ENOTTY = 25;
    /** errno: no space left on device (ummunotify: the file's max_regions reached). */
    public static final int ENOSPC = 28;

    static {
        checkPlatform();
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    /**
     * Refuses a platform whose constants differ from the ones above.
     *
     * @throws UnsupportedOperationException unless 64-bit Linux on x86_64, arm64 or riscv64
     */
    public static void checkPlatform() {
        boolean generic = Platform.isIntel() || Platform.isARM() || Platform.ARCH.equals("riscv64");
        if (!Platform.isLinux() || !Platform.is64Bit() || !generic) {
            throw new UnsupportedOperationException("regcache's libc binding supports 64-bit"
                    + " Linux on x86_64, arm64 and riscv64; this is " + Platform.ARCH
                    + " os type " + Platform.getOSType());
        }
    }

    /**
     * open(2).
     *
     * @param path the file
     * @param flags O_RDONLY, O_NONBLOCK, O_CLOEXEC, ...
     * @return the new file descriptor
     */
    public static native int open(String path, int flags) throws LastErrorException;

    /**
     * close(2). The descriptor is released even when it fails (EINTR, EIO).
     *
     * @param fd the descriptor
     * @return 0
     */
    public static native int close(int fd) throws LastErrorException;

    /**
     * ioctl(2) with a pointer argument.
     *
     * @param fd the file
     * @param request the request number ({@code _IOW(...)} and the like)
     * @param argument the request's argument structure
     * @return the request's non-negative result
     */
    public static native int ioctl(int fd, long request, Pointer argument)
            throws LastErrorException;

    /**
     * read(2) of up to {@code count} bytes; on a non-blocking file with nothing to read, fails
     * with EAGAIN.
     *
     * @param fd the file
     * @param buffer where the bytes go
     * @param count at most this many bytes
     * @return the number of bytes read, 0 at end of file
     */
    public static native long read(int fd, Pointer buffer, long count) throws LastErrorException;

    /**
     * mmap(2).
     *
     * @param address where to map (a hint, or exact with MAP_FIXED); null: the kernel chooses
     * @param length bytes
     * @param protection PROT_ flags
     * @param flags MAP_ flags
     * @param fd the file to map, -1 with MAP_ANONYMOUS
     * @param offset in the file, a multiple of the page size
     * @return the address of the new mapping
     */
    public static native Pointer mmap(Pointer address, long length, int protection, int flags,
            int fd, long offset) throws LastErrorException;

    /**
     * munmap(2) of [address, address + length); unmapping what is not mapped is no error.
     *
     * @param address page-aligned start
     * @param length bytes
     * @return 0
     */
    public static native int munmap(Pointer address, long length) throws LastErrorException;

    /**
     * mremap(2): moves or resizes a mapping.
     *
     * @param oldAddress the mapping's page-aligned start
     * @param oldSize its length
     * @param newSize the length it gets
     * @param flags MREMAP_ flags
     * @param newAddress where it goes (read with MREMAP_FIXED only)
     * @return the new address of the mapping
     */
    public static native Pointer mremap(Pointer oldAddress, long oldSize, long newSize,
            int flags, Pointer newAddress) throws LastErrorException;

    /**
     * madvise(2) on [address, address + length).
     *
     * @param address page-aligned start
     * @param length bytes
     * @param advice MADV_DONTNEED, ...
     * @return 0
     */
    public static native int madvise(Pointer address, long length, int advice)
            throws LastErrorException;

    /**
     * poll(2) of {@code count} {@code struct pollfd} (8 bytes each) at {@code fds}; fails with
     * EINTR when a signal interrupts the wait.
     *
     * @param fds the {@code struct pollfd} array
     * @param count its number of elements
     * @param timeoutMillis how long to wait at most; -1: no limit
     * @return the number of descriptors ready, 0 on timeout
     */
    public static native int poll(Pointer fds, long count, int timeoutMillis)
            throws LastErrorException;

    /**
     * sysconf(3).
     *
     * @param name SC_PAGESIZE, ...
     * @return the value; -1 without an error for a limit that does not exist
     */
    public static native long sysconf(int name) throws LastErrorException;

    /**
     * strerror(3).
     *
     * @param errno an errno value
     * @return the C library's description of {@code errno} ("Unknown error N" if none)
     */
    public static native String strerror(int errno);

    /**
     * pipe2(2): fills {@code fds} with the read end, then the write end, of a new pipe.
     *
     * @param fds two elements
     * @param flags O_CLOEXEC, ...
     * @return 0
     */
    public static native int pipe2(int[] fds, int flags) throws LastErrorException;

    /**
     * fcntl(2) with an int argument.
     *
     * @param fd the file
     * @param command F_SETPIPE_SZ, ...
     * @param argument the command's argument
     * @return the command's result (F_SETPIPE_SZ: the pipe's new capacity in bytes)
     */
    public static native int fcntl(int fd, int command, int argument) throws LastErrorException;

    /**
     * vmsplice(2): splices the user pages described by {@code segments} iovecs (16 bytes each:
     * address, length) into the pipe {@code fd}. Without SPLICE_F_GIFT the pipe keeps
     * references to the pages (get_user_pages_fast(), as a NIC's registration pins them) until
     * they are read or the pipe is closed; EFAULT if part of a range is not mapped.
     *
     * @param fd the pipe's write end
     * @param iovecs the {@code struct iovec} array
     * @param segments its number of elements
     * @param flags SPLICE_F_ flags
     * @return the number of bytes spliced
     */
    public static native long vmsplice(int fd, Pointer iovecs, long segments, int flags)
            throws LastErrorException;

    /**
     * tee(2): duplicates up to {@code length} bytes of pipe {@code in} into pipe {@code out},
     * without consuming them (page references are copied, not the bytes).
     *
     * @param in a pipe's read end
     * @param out another pipe's write end
     * @param length at most this many bytes
     * @param flags SPLICE_F_ flags
     * @return the number of bytes duplicated
     */
    public static native long tee(int in, int out, long length, int flags)
            throws LastErrorException;

    /**
     * sched_getaffinity(2): the CPU mask of thread {@code pid} (0: the calling thread) into
     * {@code mask}, {@code size} bytes.
     *
     * @param pid a thread id; 0: the calling thread
     * @param size the mask's bytes
     * @param mask receives one bit per CPU
     * @return 0
     */
    public static native int sched_getaffinity(int pid, long size, long[] mask)
            throws LastErrorException;

    /**
     * sched_setaffinity(2): confines thread {@code pid} (0: the calling thread) to the CPUs of
     * {@code mask}, {@code size} bytes; EINVAL if none of them is online.
     *
     * @param pid a thread id; 0: the calling thread
     * @param size the mask's bytes
     * @param mask one bit per CPU
     * @return 0
     */
    public static native int sched_setaffinity(int pid, long size, long[] mask)
            throws LastErrorException;

    /**
     * A fresh private anonymous read-write mapping (MAP_NORESERVE).
     *
     * @param length bytes
     * @return its address
     * @throws LastErrorException with mmap's errno
     */
    public static long mapAnonymous(long length) {
        return Pointer.nativeValue(mmap(null, length, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    }

    /**
     * Replaces [address, address + length) by fresh anonymous read-write memory (MAP_FIXED).
     *
     * @param address page-aligned start
     * @param length bytes
     * @throws LastErrorException with mmap's errno
     */
    public static void mapAnonymousAt(long address, long length) {
        mmap(new Pointer(address), length, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    }
}
