package org.regcache.api;

/** Thrown by {@link RegistrationCache#acquire} once the cache has been closed. */
public class CacheClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message says that the cache is closed and which call was refused
     */
    public CacheClosedException(String message) {
        super(message);
    }
}
