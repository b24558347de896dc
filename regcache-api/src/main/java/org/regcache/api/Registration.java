package org.regcache.api;

import java.util.Set;

/**
 * A memory region registered with an RDMA device by a {@link Registrar}.
 *
 * <p>Instances are immutable and thread-safe. The registration is owned by whoever obtained it
 * from the registrar (normally a {@link RegistrationCache}); it stays valid until that owner
 * passes it to {@link Registrar#deregister(Registration)}. After that, and after the memory it
 * covers has been unmapped or changed, the keys must no longer be used: the NIC would access
 * the physical pages that were pinned at registration time, not the ones now mapped.
 */
public interface Registration {
    /** {@return the start of the registered virtual address range} */
    long address();

    /** {@return the length of the registered range in bytes, at least 1} */
    long length();

    /** {@return the local key, for work requests posted by this process} */
    int lkey();

    /** {@return the remote key, to be handed to peers for RDMA READ/WRITE/atomics} */
    int rkey();

    /** {@return the access rights granted by this registration} */
    Set<Access> access();

    /**
     * {@return the registrar's own object for this registration (for example DiSNI's {@code
     * IbvMr}), for callers that need the native API} Ownership stays with the registration.
     */
    Object nativeRegistration();

    /**
     * {@return whether this registration covers {@code [address, address + length)}}
     *
     * @param address start of the range
     * @param length  length of the range in bytes
     */
    default boolean covers(long address, long length) {
        return address >= address() && length >= 0
                && address + length <= address() + length();
    }
}
