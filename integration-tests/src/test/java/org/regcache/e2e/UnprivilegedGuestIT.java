package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationException;
import org.regcache.api.RegistrationHandle;
import org.regcache.e2e.memory.BufferPool;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.Worker;

/**
 * The deployment path of an ordinary user: /dev/ummunotify and the RDMA devices opened by mode
 * (the udev rule), RLIMIT_MEMLOCK raised by the administrator instead of CAP_IPC_LOCK. Run by
 * integration-tests/e2e-tests with {@code run-in-guest --user ... --memlock ...}; these tests
 * fail as root or without a finite raised limit, by design.
 */
@Tag("unprivileged")
class UnprivilegedGuestIT {
    /** The usual default RLIMIT_MEMLOCK (8 MiB on Debian 12). */
    private static final long DEFAULT_MEMLOCK = 8L << 20;
    private static final int ENOMEM = 12;

    @RegisterExtension
    static final GuestFixture guest = new GuestFixture();

    @Test
    void runsAsAnOrdinaryUserWithAFiniteRaisedLimit() throws Exception {
        assertNotEquals(0, GuestEnvironment.uid(), "not root");
        long limit = GuestEnvironment.memlockLimit();
        assertNotEquals(-1, limit, "RLIMIT_MEMLOCK is finite");
        assertTrue(limit > 2 * DEFAULT_MEMLOCK, "RLIMIT_MEMLOCK is raised: " + limit);
    }

    @Test
    void registrationsBeyondTheDefaultLimitWork() throws Exception {
        int size = 16 << 20;
        try (RegistrationCache cache = CacheMode.UMMUNOTIFY.open(guest.domain().registrar(),
                64L << 20);
                Worker worker = guest.worker(cache, GuestFixture.single(size, 1,
                        EnumSet.noneOf(ChurnKind.class)))) {
            assertTrue(worker.write(0, 0, size));
            assertTrue(worker.read(0, 0, size));
            assertTrue(cache.stats().pinnedBytes() >= size);
        }
    }

    @Test
    void registeringBeyondTheLimitFailsClearlyAndTheCacheGoesOn() throws Exception {
        long limit = GuestEnvironment.memlockLimit();
        int size = Math.toIntExact(2 * limit);
        try (RegistrationCache cache = CacheMode.UMMUNOTIFY.open(guest.domain().registrar(),
                4 * limit);
                BufferPool tooLarge = BufferPool.allocate(1, size,
                        EnumSet.noneOf(ChurnKind.class));
                BufferPool small = BufferPool.allocate(1, BufferPool.PAGE_SIZE,
                        EnumSet.noneOf(ChurnKind.class))) {
            RegistrationException e = assertThrows(RegistrationException.class,
                    () -> cache.acquire(tooLarge.buffer(0).address(), size, Worker.ACCESS));
            assertTrue(e.isResourceExhausted(), e.toString());
            assertEquals(ENOMEM, e.errno(), e.toString());
            try (RegistrationHandle handle = cache.acquire(small.buffer(0).address(),
                    BufferPool.PAGE_SIZE, Worker.ACCESS)) {
                assertTrue(handle.registration().covers(small.buffer(0).address(),
                        BufferPool.PAGE_SIZE));
            }
        }
    }
}
