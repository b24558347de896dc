package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Device-name resolution against a fake /sys/class/infiniband. */
class RdmaDeviceAddressesTest {
    @TempDir Path sysfs;

    private final Map<String, List<InetAddress>> interfaces = new HashMap<>();
    private RdmaDeviceAddresses addresses;

    @BeforeEach
    void setUp() {
        addresses = new RdmaDeviceAddresses(sysfs,
                name -> interfaces.getOrDefault(name, List.of()));
    }

    private void gid(String device, int port, int index, String netdev) throws IOException {
        Path ndevs = sysfs.resolve(device).resolve("ports").resolve(Integer.toString(port))
                .resolve("gid_attrs").resolve("ndevs");
        Files.createDirectories(ndevs);
        Files.writeString(ndevs.resolve(Integer.toString(index)), netdev + "\n");
    }

    private static InetAddress ip(String literal) throws IOException {
        return InetAddress.getByName(literal);
    }

    @Test
    void aRoceDeviceResolvesToTheIpv4OfItsNetdev() throws IOException {
        gid("rxe0", 1, 0, "veth0");
        interfaces.put("veth0", List.of(ip("fe80::1"), ip("192.0.2.1")));

        assertEquals(ip("192.0.2.1"), addresses.ipv4Of("rxe0"));
    }

    @Test
    void unusedGidSlotsAreSkippedInNumericOrder() throws IOException {
        gid("rxe0", 1, 10, "wrong");
        gid("rxe0", 1, 2, "veth1");
        Files.createDirectories(sysfs.resolve("rxe0/ports/1/gid_attrs/ndevs/0"));
        Files.writeString(sysfs.resolve("rxe0/ports/1/gid_attrs/ndevs/1"), "");
        interfaces.put("veth1", List.of(ip("198.51.100.7")));
        interfaces.put("wrong", List.of(ip("203.0.113.9")));

        assertEquals(ip("198.51.100.7"), addresses.ipv4Of("rxe0"));
    }

    @Test
    void anUnknownDeviceIsReportedWithTheDevicesPresent() throws IOException {
        gid("rxe0", 1, 0, "veth0");
        gid("rxe1", 1, 0, "veth1");

        IOException e = assertThrows(IOException.class, () -> addresses.ipv4Of("mlx5_0"));

        assertTrue(e.getMessage().startsWith("no RDMA device 'mlx5_0' (present: rxe0, rxe1;"
                + " `rdma link show` lists them"), e.getMessage());
        assertTrue(e.getMessage().contains("`rdma link add mlx5_0 type rxe netdev <interface>`"),
                e.getMessage());
    }

    /** The first error a machine without RDMA shows: how to list devices and how to add one. */
    @Test
    void noDevicesAtAllSaysHowToListDevicesAndAddASoftRoceOne() throws IOException {
        Path absent = sysfs.resolve("absent");
        RdmaDeviceAddresses none = new RdmaDeviceAddresses(absent, name -> List.of());

        IOException e = assertThrows(IOException.class, () -> none.ipv4Of("rxe0"));

        assertEquals("no RDMA device 'rxe0': this machine has none (nothing in " + absent
                + "; `ibv_devices` or `rdma link show` list them). An RDMA NIC's driver creates"
                + " its device; without one, SoftRoCE makes one on an Ethernet interface:"
                + " `modprobe rdma_rxe` (the SoftRoCE kernel module) and `rdma link add rxe0"
                + " type rxe netdev <interface>` (as root; the interface needs an IPv4 address,"
                + " `ip -br -4 addr` lists them)", e.getMessage());
    }

    @Test
    void anEmptyDeviceClassIsNoDeviceAtAll() throws IOException {
        IOException e = assertThrows(IOException.class, () -> addresses.ipv4Of("rxe0"));

        assertTrue(e.getMessage().startsWith("no RDMA device 'rxe0': this machine has none"),
                e.getMessage());
        assertTrue(e.getMessage().contains("`modprobe rdma_rxe`"), e.getMessage());
    }

    @Test
    void aDeviceWithoutNetdevIsReported() throws IOException {
        Files.createDirectories(sysfs.resolve("ib0/ports/1"));

        IOException e = assertThrows(IOException.class, () -> addresses.ipv4Of("ib0"));

        assertTrue(e.getMessage().contains("has no network interface"), e.getMessage());
    }

    @Test
    void aNetdevWithoutIpv4IsReported() throws IOException {
        gid("rxe0", 1, 0, "veth0");
        interfaces.put("veth0", List.of(ip("fe80::1")));

        IOException e = assertThrows(IOException.class, () -> addresses.ipv4Of("rxe0"));

        assertTrue(e.getMessage().contains("'veth0', which has no IPv4 address"), e.getMessage());
    }

    @Test
    void interfaceLookupFailuresSurfaceAsIoExceptions() throws IOException {
        gid("rxe0", 1, 0, "veth0");
        SocketException cause = new SocketException("boom");
        RdmaDeviceAddresses failing = new RdmaDeviceAddresses(sysfs, name -> {
            throw new UncheckedIOException(cause);
        });

        IOException e = assertThrows(IOException.class, () -> failing.ipv4Of("rxe0"));

        assertEquals(cause, e);
    }

    @Test
    void namesThatAreNotDeviceNamesAreRejected() {
        for (String bad : new String[] {"", "..", "../etc", "rxe0/ports", ".hidden", "a b"}) {
            assertThrows(IllegalArgumentException.class, () -> addresses.ipv4Of(bad), bad);
        }
    }
}
