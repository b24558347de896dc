package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.ibm.disni.util.MemoryUtils;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.regcache.api.Access;
import org.regcache.api.RegistrationException;

/** Registrations through {@link DisniRegistrar} on SoftRoCE, as the kernel sees them. */
class MemoryRegistrationGuestIT {
    private static final Set<Access> READ_WRITE =
            EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ);
    private static final long EFAULT = 14;

    private static DisniProtectionDomain domain;
    private static DisniRegistrar registrar;
    private final List<DisniRegistration> registered = new ArrayList<>();

    @BeforeAll
    static void openDomain() throws IOException {
        domain = DisniProtectionDomain.open(GuestRdma.rxeAddress());
        registrar = domain.registrar();
    }

    @AfterEach
    void deregisterLeftovers() throws RegistrationException {
        for (DisniRegistration registration : registered) {
            registrar.deregister(registration);
        }
        registered.clear();
    }

    @AfterAll
    static void closeDomain() throws Exception {
        domain.close();
        GuestRdma.assertNoResourcesLeft();
    }

    private DisniRegistration register(ByteBuffer buffer, Set<Access> access)
            throws RegistrationException {
        DisniRegistration registration =
                registrar.register(MemoryUtils.getAddress(buffer), buffer.capacity(), access);
        registered.add(registration);
        return registration;
    }

    private void deregister(DisniRegistration registration) throws RegistrationException {
        registered.remove(registration);
        registrar.deregister(registration);
    }

    @Test
    void registersAndDeregistersFromOneByteTo64MiB() throws Exception {
        long[] sizes = {1, 4095, 4096, 4097, 1 << 20, 64 << 20};
        List<DisniRegistration> made = new ArrayList<>();
        for (long size : sizes) {
            made.add(register(ByteBuffer.allocateDirect((int) size), READ_WRITE));
        }

        List<Long> expected = new ArrayList<>();
        for (long size : sizes) {
            expected.add(size);
        }
        assertEquals(expected, GuestRdma.memoryRegionLengths());
        assertEquals(sizes.length, registrar.liveRegistrations());

        for (DisniRegistration registration : made) {
            deregister(registration);
        }
        assertEquals(List.of(), GuestRdma.memoryRegionLengths());
        assertEquals(0, registrar.liveRegistrations());
    }

    @Test
    void theKeysAreTheOnesTheKernelReports() throws Exception {
        DisniRegistration registration = register(ByteBuffer.allocateDirect(8192), READ_WRITE);

        List<String> lines = GuestRdma.userResources("mr");

        assertEquals(1, lines.size(), lines.toString());
        String line = lines.get(0);
        assertTrue(line.contains(String.format("lkey 0x%x", registration.lkey())), line);
        assertTrue(line.contains(String.format("rkey 0x%x", registration.rkey())), line);
    }

    @Test
    void everyAccessSetAllowedByTheVerbsRegisters() throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        for (int bits = 0; bits < 1 << Access.values().length; bits++) {
            Set<Access> access = EnumSet.noneOf(Access.class);
            for (Access right : Access.values()) {
                if ((bits & (1 << right.ordinal())) != 0) {
                    access.add(right);
                }
            }
            boolean allowed = access.contains(Access.LOCAL_WRITE)
                    || !(access.contains(Access.REMOTE_WRITE)
                            || access.contains(Access.REMOTE_ATOMIC));
            if (allowed) {
                DisniRegistration registration = register(buffer, access);
                assertEquals(access, registration.access());
                deregister(registration);
            } else {
                RegistrationException e = assertThrows(RegistrationException.class,
                        () -> register(buffer, access), access.toString());
                assertEquals(AccessFlags.EINVAL, e.errno());
            }
        }
        assertEquals(List.of(), GuestRdma.memoryRegionLengths());
    }

    @Test
    void anUnmappedAddressFailsWithEfault() {
        // nothing is mapped below vm.mmap_min_addr (64 KiB)
        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(0x1000, 4096, READ_WRITE));

        assertEquals(EFAULT, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("ibv_reg_mr of [0x1000, +4096) failed"), e.getMessage());
        assertTrue(e.getMessage().contains("Bad address"), e.getMessage());
        assertEquals(0, registrar.liveRegistrations());
    }

    @Test
    void zeroLengthIsRejectedBeforeTheDevice() throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> registrar.register(MemoryUtils.getAddress(buffer), 0, READ_WRITE));

        assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
        assertEquals(List.of(), GuestRdma.memoryRegionLengths());
    }

    @Test
    void rangesOf2GiBAndMoreAreRejectedNamingTheLimit() throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);

        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(MemoryUtils.getAddress(buffer), 1L << 31, READ_WRITE));

        assertEquals(AccessFlags.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
        assertEquals(List.of(), GuestRdma.memoryRegionLengths());
    }

    @Test
    void aDeviceNameResolvesToItsAddress() throws Exception {
        try (DisniProtectionDomain byName = DisniProtectionDomain.openDevice(GuestRdma.rxeDevice())) {
            assertEquals(GuestRdma.rxeAddress(), byName.address());
            assertEquals(domain.context().getCmd_fd(), byName.context().getCmd_fd(),
                    "librdmacm shares one context per device");
            assertNotEquals(domain.pd().getHandle(), byName.pd().getHandle());
        }
    }

    @Test
    void aLocalAddressWithoutRdmaDeviceIsReported() throws Exception {
        Map<String, List<String>> before = GuestRdma.userResources();

        IOException e = assertThrows(IOException.class,
                () -> DisniProtectionDomain.open(InetAddress.getByName("127.0.0.1")));

        assertEquals("no RDMA device for 127.0.0.1: the bound rdma_cm id has no device context",
                e.getMessage());
        assertEquals(before, GuestRdma.userResources(), "the failed open released everything");
    }

    @Test
    void aForeignAddressIsReportedWithRdmaCmsError() throws Exception {
        IOException e = assertThrows(IOException.class,
                () -> DisniProtectionDomain.open(InetAddress.getByName("203.0.113.1")));

        assertEquals("no RDMA device for 203.0.113.1 (binding an rdma_cm id to it failed: "
                + "j2c::bind: rdma_bind_addr failed: Cannot assign requested address (errno 99))",
                e.getMessage());
    }

    @Test
    void anUnknownDeviceNameIsReportedWithTheDevicesPresent() {
        IOException e = assertThrows(IOException.class,
                () -> DisniProtectionDomain.openDevice("mlx5_9"));

        assertTrue(e.getMessage().startsWith("no RDMA device 'mlx5_9' (present: "), e.getMessage());
        assertTrue(e.getMessage().contains(GuestRdma.rxeDevice()), e.getMessage());
    }

    @Test
    void wildcardAndIpv6AddressesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> DisniProtectionDomain.open(InetAddress.getByName("0.0.0.0")));
        assertThrows(IllegalArgumentException.class,
                () -> DisniProtectionDomain.open(InetAddress.getByName("::1")));
    }

    @Test
    void closingIsRefusedWhileRegistrationsAreLive() throws Exception {
        DisniProtectionDomain second = DisniProtectionDomain.open(GuestRdma.rxeAddress());
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        DisniRegistration registration = second.registrar()
                .register(MemoryUtils.getAddress(buffer), 4096, READ_WRITE);
        int pdsBefore = GuestRdma.userResources("pd").size();

        assertThrows(IllegalStateException.class, second::close);
        assertEquals(pdsBefore, GuestRdma.userResources("pd").size(), "nothing freed");

        second.registrar().deregister(registration);
        second.close();
        second.close();
        assertEquals(pdsBefore - 1, GuestRdma.userResources("pd").size());

        RegistrationException e = assertThrows(RegistrationException.class, () -> second
                .registrar().register(MemoryUtils.getAddress(buffer), 4096, READ_WRITE));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void concurrentRegistrationsAllReachTheKernel() throws Exception {
        int threads = 4;
        int perThread = 8;
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        long address = MemoryUtils.getAddress(buffer);
        List<DisniRegistration> made = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int offset = t * 4096;
            workers[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < perThread; i++) {
                        made.add(registrar.register(address + offset, 4096 + i, READ_WRITE));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            workers[t].start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        registered.addAll(made);

        assertEquals(List.of(), failures);
        assertEquals(threads * perThread, GuestRdma.memoryRegionLengths().size());
        assertEquals(made.size(), made.stream().map(DisniRegistration::lkey)
                .collect(Collectors.toSet()).size(), "distinct lkeys");
    }
}
