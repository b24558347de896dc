package org.regcache.api;

/** Thrown by {@link RegistrationCache#acquire} once the cache has been closed. */
public class CacheClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public CacheClosedException(String message) {
        super(message);
    }
}
