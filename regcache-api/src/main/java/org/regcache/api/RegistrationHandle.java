package org.regcache.api;

/**
 * A caller's claim on a registration returned by {@link RegistrationCache#acquire}.
 *
 * <p>While the handle is live, the registration it exposes is not deregistered, even if the
 * cache evicts or invalidates it meanwhile or is closed. {@link #close()} releases the claim; it
 * must be called exactly once, from any thread. A handle is not meant to be shared between
 * threads without the caller's own synchronization, but the accessors are safe to read from
 * any thread that sees the handle.
 */
public interface RegistrationHandle extends AutoCloseable {

    /** {@return the start of the range that was asked for, inside the registration} */
    long address();

    /** {@return the length in bytes of the range that was asked for} */
    long length();

    /** {@return the local key of the registration, valid while the handle is live} */
    int lkey();

    /** {@return the remote key of the registration, valid while the handle is live} */
    int rkey();

    /**
     * {@return the registration covering {@code [address(), address() + length())}} Its own
     * range is page aligned and may be larger. Owned by the cache: never deregister it
     * yourself.
     *
     * @throws IllegalStateException when the handle was already released
     */
    Registration registration();

    /**
     * Releases the handle. If its registration was detached (invalidated, evicted or the cache
     * closed while in use) and this was its last handle, the registration is deregistered on
     * this thread before the method returns. Never throws for deregistration failures (they are
     * logged and counted as deregistered: the registration is gone either way).
     *
     * @throws IllegalStateException when the handle was already released; the registration is
     *     not touched again
     */
    @Override
    void close();
}
