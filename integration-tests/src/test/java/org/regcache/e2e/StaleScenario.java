package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.regcache.api.RegistrationException;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.Worker;

/**
 * The shortest sequence after which a cache without invalidation returns a stale
 * registration for {@code kind}: transfer the whole of buffer 0 (its registration is cached),
 * change the memory, transfer again over the same address. For MREMAP_MOVE the change is two
 * moves: buffer 0 leaves its address, buffer 1 moves in there, and buffer 1 is transferred.
 *
 * @param writeIntact whether the RDMA WRITE after the change delivered what was sent
 * @param readIntact  whether the RDMA READ after it delivered what the server holds
 */
record StaleScenario(boolean writeIntact, boolean readIntact) {
    private static final int ATTEMPTS = 5;

    /**
     * Runs the sequence on {@code worker}, whose pool has at least two buffers and {@code kind}
     * enabled. munmap + mmap can, rarely, find its address taken by another thread of the JVM
     * and move; then the address changed, nothing can be stale, and the sequence is repeated.
     */
    static StaleScenario run(Worker worker, ChurnKind kind)
            throws java.io.IOException, RegistrationException {
        int size = worker.pool().bufferSize();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            assertTrue(worker.write(0, 0, size), "the first write is intact");
            assertTrue(worker.read(0, 0, size), "the first read is intact");
            long address = worker.pool().buffer(0).address();
            int target = 0;
            if (kind == ChurnKind.MREMAP_MOVE) {
                worker.churn(kind, 0);
                worker.churn(kind, 1);
                target = 1;
            } else {
                worker.churn(kind, 0);
            }
            if (kind.onMappedMemory() && worker.pool().buffer(target).address() != address) {
                continue; // the vacated address went to someone else: try again
            }
            boolean write = worker.write(target, 0, size);
            boolean read = worker.read(target, 0, size);
            return new StaleScenario(write, read);
        }
        throw new AssertionError("the buffer never came back to its address in " + ATTEMPTS
                + " attempts of " + kind);
    }
}
