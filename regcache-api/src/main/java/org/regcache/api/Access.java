package org.regcache.api;

/**
 * Access rights of a memory registration, as the RDMA verbs define them.
 *
 * <p>Local read access is always granted by the NIC and therefore has no constant. A cached
 * registration satisfies a request when its access set is a superset of the requested one.
 */
public enum Access {
    /** The local NIC may write into the region (receive buffers, RDMA READ destinations). */
    LOCAL_WRITE,
    /** A remote peer may RDMA WRITE into the region; requires {@link #LOCAL_WRITE}. */
    REMOTE_WRITE,
    /** A remote peer may RDMA READ from the region. */
    REMOTE_READ,
    /** A remote peer may perform atomic operations on the region; requires {@link #LOCAL_WRITE}. */
    REMOTE_ATOMIC
}
