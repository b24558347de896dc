package org.regcache.api;

/**
 * A registration or deregistration failed in the device or the kernel.
 *
 * <p>{@link #errno()} is the operating system error number when one is known, or 0.
 */
public class RegistrationException extends Exception {
    private static final long serialVersionUID = 1L;

    /** errno of "out of memory". */
    public static final int ENOMEM = 12;
    /** errno of "try again", returned when RLIMIT_MEMLOCK or device resources run out. */
    public static final int EAGAIN = 11;
    /** errno of "no space left", returned when a per-file limit (ummunotify max_regions) is hit. */
    public static final int ENOSPC = 28;

    /** The operating system error number, or 0 when unknown (see {@link #errno()}). */
    private final int errno;

    /**
     * Creates an exception without a cause.
     *
     * @param message what failed and, where known, the remedy
     * @param errno   the operating system error number, or 0 when unknown
     */
    public RegistrationException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /**
     * Creates an exception with the failure that caused it.
     *
     * @param message what failed and, where known, the remedy
     * @param errno   the operating system error number, or 0 when unknown
     * @param cause   the underlying failure
     */
    public RegistrationException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /** {@return the operating system error number, or 0 when unknown} */
    public int errno() {
        return errno;
    }

    /**
     * {@return whether the failure is a lack of resources, so that releasing other
     * registrations may help} That is ENOMEM or EAGAIN (pinned-memory limit, device
     * memory-region table full) and ENOSPC (watch limit of an invalidation source).
     */
    public boolean isResourceExhausted() {
        return errno == ENOMEM || errno == EAGAIN || errno == ENOSPC;
    }
}
