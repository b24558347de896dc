package org.regcache.api;

import java.util.Set;

/**
 * SPI: registers and deregisters memory with an RDMA device (for example through DiSNI).
 *
 * <p>Implementations must be thread-safe: a cache calls them from many threads, and never while
 * holding its own locks. A registrar does no caching of its own.
 */
public interface Registrar {
    /**
     * Registers [address, address + length) with the given access rights.
     *
     * @param address start of the range; the cache passes page-aligned ranges
     * @param length  length in bytes, at least 1
     * @param access  requested rights, never null (may be empty: local read only)
     * @return the new registration, owned by the caller
     * @throws RegistrationException if the device refuses; {@link
     *     RegistrationException#isResourceExhausted()} tells whether releasing other
     *     registrations may help
     */
    Registration register(long address, long length, Set<Access> access)
            throws RegistrationException;

    /**
     * Deregisters a registration returned by {@link #register}. Called exactly once per
     * registration.
     *
     * @param registration the registration to release; never used again by the caller
     * @throws RegistrationException if the device refuses; the registration must be
     *     considered gone either way
     */
    void deregister(Registration registration) throws RegistrationException;
}
