package org.regcache.ummu;

/**
 * A system call on /dev/ummunotify failed. The message names the call, the errno (number and
 * text) and, where one is known, the remedy.
 */
public class UmmunotifyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The errno of the failed system call, or 0 (see {@link #errno()}). */
    private final int errno;

    /**
     * Creates the exception.
     *
     * @param message what failed, with the errno text and the remedy
     * @param errno   the errno of the failed call, or 0
     * @param cause   the underlying exception, or null
     */
    public UmmunotifyException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /**
     * {@return the errno of the failed call, or 0 when the failure was not a system call error}
     */
    public int errno() {
        return errno;
    }
}
