package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.regcache.api.RegistrationCache;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.ProgressListener;
import org.regcache.e2e.workload.Worker;
import org.regcache.e2e.workload.Workload;
import org.regcache.e2e.workload.WorkloadConfig;
import org.regcache.e2e.workload.WorkloadResult;
import org.regcache.verbs.DisniProtectionDomain;

/**
 * A protection domain on the guest's SoftRoCE device, shared by the tests of one class, and
 * shortcuts to run workloads in it. {@link #close()} checks that nothing is left registered.
 */
final class GuestFixture implements AutoCloseable {
    /** Bounds every workload of the tests; they stop by transfer count long before. */
    static final Duration AT_MOST = Duration.ofMinutes(3);

    final InetAddress address;
    final DisniProtectionDomain domain;

    GuestFixture() throws IOException {
        this.address = GuestEnvironment.rxeAddress();
        this.domain = DisniProtectionDomain.open(address);
    }

    /** One thread, {@code buffers} buffers of {@code size}, no random churn. */
    static WorkloadConfig single(int size, int buffers, Set<ChurnKind> kinds) {
        return new WorkloadConfig(List.of(size), 1, buffers, kinds, 0, AT_MOST, 0, 7);
    }

    /** Random traffic: sizes 4k/16k/64k, churn before a fifth of the transfers. */
    static WorkloadConfig random(int threads, Set<ChurnKind> kinds, long transfersPerThread) {
        return new WorkloadConfig(List.of(4096, 16384, 65536), threads, 4, kinds, 0.2,
                AT_MOST, transfersPerThread, 11);
    }

    Worker worker(RegistrationCache cache, WorkloadConfig config) throws IOException {
        return Worker.open(0, cache, address, domain.pd(), config);
    }

    WorkloadResult run(String label, RegistrationCache cache, WorkloadConfig config)
            throws IOException {
        return Workload.run(label, cache, address, domain.pd(), config, ProgressListener.NONE);
    }

    /** Frees the protection domain and checks no user-space memory region is left. */
    @Override
    public void close() throws Exception {
        domain.close();
        assertEquals(List.of(), GuestEnvironment.userMemoryRegions(), "memory regions left");
    }
}
