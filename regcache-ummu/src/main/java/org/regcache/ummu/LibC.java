package org.regcache.ummu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc calls of the binding, direct-mapped ({@link Native#register}) so that read() on the
 * drain path costs one JNI transition and no proxy. The constants are those of Linux on the
 * architectures that use the generic ABI (x86_64, arm64, riscv64); {@link #checkPlatform()}
 * refuses others. size_t/ssize_t/off_t are mapped to long: LP64 only.
 */
final class LibC {
    static final int O_RDONLY = 0;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final short POLLIN = 0x1;
    static final int SC_PAGESIZE = 30;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EFAULT = 14;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int ENOSPC = 28;

    static {
        checkPlatform();
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    static void checkPlatform() {
        boolean generic = Platform.isIntel() || Platform.isARM() || Platform.ARCH.equals("riscv64");
        if (!Platform.isLinux() || !Platform.is64Bit() || !generic) {
            throw new UnsupportedOperationException("ummunotify binding supports 64-bit Linux on"
                    + " x86_64, arm64 and riscv64; this is " + Platform.ARCH + " os type "
                    + Platform.getOSType());
        }
    }

    static native int open(String path, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int ioctl(int fd, long request, Pointer argument) throws LastErrorException;

    static native long read(int fd, Pointer buffer, long count) throws LastErrorException;

    static native Pointer mmap(Pointer address, long length, int protection, int flags, int fd,
            long offset) throws LastErrorException;

    static native int munmap(Pointer address, long length) throws LastErrorException;

    static native int poll(Pointer fds, long count, int timeoutMillis) throws LastErrorException;

    static native long sysconf(int name) throws LastErrorException;

    static native String strerror(int errno);
}
