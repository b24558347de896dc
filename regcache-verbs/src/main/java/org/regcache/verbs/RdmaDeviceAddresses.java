package org.regcache.verbs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Finds the IPv4 address of an RDMA device, which is how rdma_cm (and so DiSNI) selects it.
 *
 * <p>For RoCE devices (SoftRoCE's rxe among them) sysfs names the network interface behind
 * each GID: {@code /sys/class/infiniband/<device>/ports/<port>/gid_attrs/ndevs/<index>}. The
 * device's address is the first IPv4 address of that interface. Devices without such an
 * interface (InfiniBand with IPoIB is found the same way when its GIDs list ib0) cannot be
 * named here; name their IP instead.
 */
final class RdmaDeviceAddresses {
    private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Comparator<Path> NUMERIC_NAME = Comparator.comparingLong(
            path -> parseOrMax(path.getFileName().toString()));

    private final Path infinibandClass;
    private final Function<String, List<InetAddress>> interfaceAddresses;

    /** Resolution through this machine's sysfs and network interfaces. */
    RdmaDeviceAddresses() {
        this(Path.of("/sys/class/infiniband"), RdmaDeviceAddresses::addressesOfInterface);
    }

    RdmaDeviceAddresses(Path infinibandClass,
            Function<String, List<InetAddress>> interfaceAddresses) {
        this.infinibandClass = infinibandClass;
        this.interfaceAddresses = interfaceAddresses;
    }

    /**
     * The IPv4 address through which rdma_cm reaches {@code device}.
     *
     * @throws IllegalArgumentException if the name cannot be a device name
     * @throws IOException if there is no such device, it has no network interface, or the
     *     interface has no IPv4 address; the message says which
     */
    Inet4Address ipv4Of(String device) throws IOException {
        if (!DEVICE_NAME.matcher(device).matches() || device.startsWith(".")) {
            throw new IllegalArgumentException("not an RDMA device name: '" + device + "'");
        }
        Path deviceDir = infinibandClass.resolve(device);
        if (!Files.isDirectory(deviceDir)) {
            throw new IOException(noSuchDevice(device, devices()));
        }
        String netdev = netdevOf(deviceDir).orElseThrow(() -> new IOException("RDMA device '"
                + device + "' has no network interface in " + deviceDir.resolve("ports")
                + "/*/gid_attrs/ndevs; name its IP address instead"));
        List<InetAddress> addresses;
        try {
            addresses = interfaceAddresses.apply(netdev);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return addresses.stream()
                .filter(Inet4Address.class::isInstance)
                .map(Inet4Address.class::cast)
                .findFirst()
                .orElseThrow(() -> new IOException("RDMA device '" + device
                        + "' uses network interface '" + netdev + "', which has no IPv4 "
                        + "address; DiSNI reaches devices through IPv4 only"));
    }

    /**
     * The message for a device that does not exist: the devices present and how to list them,
     * and how to add a SoftRoCE device of that name, which needs only an Ethernet interface
     * (and is the usual fix on a machine without any RDMA device).
     */
    private String noSuchDevice(String device, List<String> present) {
        String softRoce = "`modprobe rdma_rxe` (the SoftRoCE kernel module) and `rdma link add "
                + device + " type rxe netdev <interface>` (as root; the interface needs an IPv4"
                + " address, `ip -br -4 addr` lists them)";
        if (present.isEmpty()) {
            return "no RDMA device '" + device + "': this machine has none (nothing in "
                    + infinibandClass + "; `ibv_devices` or `rdma link show` list them). An RDMA"
                    + " NIC's driver creates its device; without one, SoftRoCE makes one on an"
                    + " Ethernet interface: " + softRoce;
        }
        return "no RDMA device '" + device + "' (present: " + String.join(", ", present)
                + "; `rdma link show` lists them with their network interfaces). To add a"
                + " SoftRoCE device of that name: " + softRoce;
    }

    /** Names of the RDMA devices present, sorted. */
    List<String> devices() throws IOException {
        if (!Files.isDirectory(infinibandClass)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(infinibandClass)) {
            return entries.map(path -> path.getFileName().toString()).sorted()
                    .collect(Collectors.toList());
        }
    }

    /** The first network interface named by a GID of the lowest-numbered port. */
    private static Optional<String> netdevOf(Path deviceDir) throws IOException {
        for (Path port : sortedNumeric(deviceDir.resolve("ports"))) {
            for (Path gid : sortedNumeric(port.resolve("gid_attrs").resolve("ndevs"))) {
                String netdev = readFirstLine(gid);
                if (!netdev.isEmpty()) {
                    return Optional.of(netdev);
                }
            }
        }
        return Optional.empty();
    }

    private static List<Path> sortedNumeric(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.sorted(NUMERIC_NAME).collect(Collectors.toList());
        }
    }

    /** A GID slot's netdev, or "" for an unused slot (reading it fails with EINVAL). */
    private static String readFirstLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.isEmpty() ? "" : lines.get(0).strip();
        } catch (IOException unusedSlot) {
            return "";
        }
    }

    private static long parseOrMax(String name) {
        try {
            return Long.parseLong(name);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static List<InetAddress> addressesOfInterface(String name) {
        try {
            NetworkInterface netif = NetworkInterface.getByName(name);
            return netif == null ? List.of() : Collections.list(netif.getInetAddresses());
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }
}
