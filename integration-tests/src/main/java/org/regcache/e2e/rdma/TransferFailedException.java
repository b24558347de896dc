package org.regcache.e2e.rdma;

import java.io.IOException;

/**
 * An RDMA operation completed with an error status (for example a protection error because
 * the local key was deregistered) or not at all. The queue pair is unusable afterwards.
 */
public class TransferFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message the operation and the completion status or the reason */
    public TransferFailedException(String message) {
        super(message);
    }
}
