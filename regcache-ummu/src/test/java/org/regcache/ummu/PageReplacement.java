package org.regcache.ummu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import org.regcache.ummu.internal.LibC;

/**
 * The ways the guest tests give a range new physical pages while keeping its address: each is
 * an invalidation of the range's registrations (an MMU notifier invalidate_range_start ... _end
 * around the zap of the old pages), and each leaves the range mapped private, anonymous, read-
 * write, in 4 KiB pages (MADV_NOHUGEPAGE: no huge page spans the range, so the zap takes a step
 * per page and no neighbouring mapping's huge page is split), with none of its pages present.
 */
enum PageReplacement {
    /** madvise(MADV_DONTNEED) of the range: the zap runs with mmap_lock held for reading. */
    MADV_DONTNEED(false) {
        @Override
        void replace(long base, long length) {
            LibC.madvise(new Pointer(base), length, LibC.MADV_DONTNEED);
        }
    },
    /**
     * munmap() of the range, then mmap() at the same address (MAP_FIXED_NOREPLACE): the range is
     * unmapped in between, so a registration made then fails (EFAULT).
     */
    MUNMAP_THEN_MMAP(true) {
        @Override
        void replace(long base, long length) {
            LibC.munmap(new Pointer(base), length);
            Pointer mapped;
            try {
                mapped = LibC.mmap(new Pointer(base), length,
                        LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE
                                | LibC.MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            } catch (LastErrorException e) {
                throw new IllegalStateException("another mapping took [0x"
                        + Long.toHexString(base) + ", +" + length + ") between munmap() and"
                        + " mmap(): errno " + e.getErrorCode(), e);
            }
            if (Pointer.nativeValue(mapped) != base) { // a kernel older than 4.17: a hint
                LibC.munmap(mapped, length);
                throw new IllegalStateException("mmap() did not map at 0x"
                        + Long.toHexString(base));
            }
            withoutHugePages(base, length);
        }
    },
    /** mmap(MAP_FIXED) over the range: old and new mapping swapped under mmap_lock. */
    MAP_FIXED(false) {
        @Override
        void replace(long base, long length) {
            LibC.mapAnonymousAt(base, length);
            withoutHugePages(base, length);
        }
    };

    /** mmap() flag (Linux 4.17): map exactly there, or fail with EEXIST. */
    static final int MAP_FIXED_NOREPLACE = 0x100000;
    static final int MADV_NOHUGEPAGE = 15;

    private final boolean leavesAHole;

    PageReplacement(boolean leavesAHole) {
        this.leavesAHole = leavesAHole;
    }

    /** Replaces the pages of [base, base + length), both page-aligned; see the class comment. */
    abstract void replace(long base, long length);

    /** {@return whether the range is unmapped for a moment, so that a registration may fail} */
    boolean leavesAHole() {
        return leavesAHole;
    }

    /** A new private anonymous mapping of {@code length} bytes in 4 KiB pages, none present. */
    static long mapRegion(long length) {
        long base = LibC.mapAnonymous(length);
        withoutHugePages(base, length);
        return base;
    }

    private static void withoutHugePages(long base, long length) {
        LibC.madvise(new Pointer(base), length, MADV_NOHUGEPAGE);
    }
}
