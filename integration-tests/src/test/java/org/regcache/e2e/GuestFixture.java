package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
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
 * shortcuts to run workloads in it. A JUnit extension: a test class declares
 * {@code @RegisterExtension static final GuestFixture guest = new GuestFixture();}, the domain
 * opens before its first test and closes after its last, and closing checks that nothing is
 * left registered.
 */
final class GuestFixture implements BeforeAllCallback, AfterAllCallback {
    /**
     * Only catches a hang: every workload of the tests stops by its transfer count long before
     * (seconds on an idle machine), and {@link #run} fails, saying so, if this ran out first.
     * Generous for a TCG guest on a busy machine (load 10).
     */
    static final Duration AT_MOST = Duration.ofMinutes(10);

    private InetAddress address;
    private DisniProtectionDomain domain;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        address = GuestEnvironment.rxeAddress();
        domain = DisniProtectionDomain.open(address);
    }

    /** Frees the protection domain and checks no user-space memory region is left. */
    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (domain == null) {
            return;
        }
        domain.close();
        domain = null;
        assertEquals(List.of(), GuestEnvironment.userMemoryRegions(), "memory regions left");
    }

    /** The protection domain of this class's tests. */
    DisniProtectionDomain domain() {
        return domain;
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

    /**
     * Runs a workload bounded by its transfer count ({@code maxTransfersPerThread} of every
     * thread); fails if its duration, a bound against hangs, ran out first.
     */
    WorkloadResult run(String label, RegistrationCache cache, WorkloadConfig config)
            throws IOException {
        if (config.maxTransfersPerThread() == 0) {
            throw new IllegalArgumentException("a test workload is bounded by its transfer"
                    + " count: maxTransfersPerThread must be set");
        }
        WorkloadResult result = Workload.run(label, cache, address, domain.pd(), config,
                ProgressListener.NONE);
        long expected = config.threads() * config.maxTransfersPerThread();
        if (result.failure() == null && result.totals().transfers() < expected) {
            fail("workload " + label + ": its time bound of " + config.duration()
                    + " (against hangs) ran out after " + result.totals().transfers()
                    + " of its " + expected + " transfers");
        }
        return result;
    }
}
