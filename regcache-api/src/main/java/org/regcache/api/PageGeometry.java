package org.regcache.api;

/**
 * Page size arithmetic and validation of user ranges. Registrations always cover whole pages:
 * the NIC pins pages, so a registration of part of a page pins (and can expose) all of it.
 */
final class PageGeometry {
    /** Largest address a range may reach; ranges never wrap the signed 64-bit space. */
    static final long ADDRESS_LIMIT = Long.MAX_VALUE;

    final long pageSize;
    final int pageShift;

    PageGeometry(long pageSize) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("pageSize must be a power of two, was " + pageSize);
        }
        this.pageSize = pageSize;
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
    }

    /**
     * Checks a caller's range and returns its exclusive end.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    long checkedEnd(long address, long length) {
        if (address < 0) {
            throw new IllegalArgumentException(
                    "address must be a user-space address (>= 0), was " + address);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("length must be >= 1, was " + length);
        }
        if (length > ADDRESS_LIMIT - pageSize - address) {
            throw new IllegalArgumentException("range [" + Long.toHexString(address) + ", +"
                    + length + ") runs past the end of the address space");
        }
        return address + length;
    }

    long alignDown(long address) {
        return address & -pageSize;
    }

    /** Rounds up; the caller has checked that this cannot overflow ({@link #checkedEnd}). */
    long alignUp(long address) {
        return (address + pageSize - 1) & -pageSize;
    }

    long pages(long bytes) {
        return bytes >>> pageShift;
    }
}
