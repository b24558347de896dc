package org.regcache.ummu;

/**
 * The Linux ioctl number encoding of include/uapi/asm-generic/ioctl.h (x86, arm64, riscv):
 * {@code dir << 30 | size << 16 | type << 8 | nr}, with {@code _IOC_WRITE = 1} (user space
 * writes the argument) and {@code _IOC_READ = 2}. Numbers are returned as the unsigned long
 * that ioctl(2) takes.
 */
final class IoctlEncoding {
    static final int NONE = 0;
    static final int WRITE = 1;
    static final int READ = 2;

    private static final int NR_BITS = 8;
    private static final int TYPE_BITS = 8;
    private static final int SIZE_BITS = 14;
    private static final int TYPE_SHIFT = NR_BITS;
    private static final int SIZE_SHIFT = TYPE_SHIFT + TYPE_BITS;
    private static final int DIR_SHIFT = SIZE_SHIFT + SIZE_BITS;

    private IoctlEncoding() {
    }

    /** {@code _IOC(dir, type, nr, size)}. */
    static long ioc(int dir, char type, int nr, int size) {
        if (dir < 0 || dir > 3 || type > 0xff || nr < 0 || nr > 0xff || size < 0
                || size >= 1 << SIZE_BITS) {
            throw new IllegalArgumentException("not encodable: dir=" + dir + " type=" + type
                    + " nr=" + nr + " size=" + size);
        }
        return ((long) dir << DIR_SHIFT) | ((long) size << SIZE_SHIFT)
                | ((long) type << TYPE_SHIFT) | nr;
    }

    /** {@code _IOW(type, nr, size)}: the argument is read by the kernel. */
    static long iow(char type, int nr, int size) {
        return ioc(WRITE, type, nr, size);
    }

    /** {@code _IOWR(type, nr, size)}: the argument is read and written back by the kernel. */
    static long iowr(char type, int nr, int size) {
        return ioc(READ | WRITE, type, nr, size);
    }
}
