package org.regcache.verbs;

import com.ibm.disni.verbs.IbvContext;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.RdmaCm;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.RdmaEventChannel;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A protection domain on the RDMA device behind an IPv4 address, found the way DiSNI finds
 * devices: an rdma_cm id bound to the address yields the device context, in which the
 * protection domain is allocated.
 *
 * <pre>{@code
 * try (DisniProtectionDomain domain = DisniProtectionDomain.openDevice("rxe0")) {
 *     Registration r = domain.registrar().register(address, length, EnumSet.of(LOCAL_WRITE));
 *     ...
 *     domain.registrar().deregister(r);
 * }
 * }</pre>
 *
 * <p>{@link #close()} frees the protection domain, the cm id and its event channel. It
 * refuses (and frees nothing) while registrations of {@link #registrar()} are live; memory
 * regions or queue pairs made directly on {@link #pd()} must be freed by their creator first.
 * Thread-safe.
 */
public final class DisniProtectionDomain implements AutoCloseable {
    private final InetAddress address;
    private final RdmaEventChannel channel;
    private final RdmaCmId id;
    private final IbvContext context;
    private final IbvPd pd;
    private final DisniRegistrar registrar;
    private boolean closed;

    private DisniProtectionDomain(InetAddress address, RdmaEventChannel channel, RdmaCmId id,
            IbvContext context, IbvPd pd) {
        this.address = address;
        this.channel = channel;
        this.id = id;
        this.context = context;
        this.pd = pd;
        this.registrar = new DisniRegistrar(pd);
    }

    /**
     * Opens a protection domain on the RDMA device that owns {@code address}.
     *
     * @param address an IPv4 address of an RDMA interface
     * @return the open protection domain, which the caller closes
     * @throws IllegalArgumentException if the address is not IPv4 (DiSNI supports no other)
     * @throws IllegalStateException if the JVM lacks DiSNI's prerequisites (see {@link
     *     DisniNativeLibrary#requireUsable()})
     * @throws IOException if no RDMA device owns the address or the device refuses; the
     *     message carries rdma_cm's or the device's error text
     */
    public static DisniProtectionDomain open(InetAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("DiSNI supports IPv4 only, got " + address);
        }
        if (address.isAnyLocalAddress()) {
            throw new IllegalArgumentException("the wildcard address 0.0.0.0 selects no RDMA "
                    + "device; name the IP address of an RDMA interface");
        }
        DisniNativeLibrary.requireUsable();

        RdmaEventChannel channel = RdmaEventChannel.createEventChannel();
        RdmaCmId id = null;
        IbvPd pd = null;
        try {
            id = channel.createId(RdmaCm.RDMA_PS_TCP);
            try {
                id.bindAddr(new InetSocketAddress(address, 0));
            } catch (IOException e) {
                throw new IOException("no RDMA device for " + address.getHostAddress()
                        + " (binding an rdma_cm id to it failed: "
                        + NativeErrors.clean(e.getMessage()) + ")", e);
            }
            IbvContext context = id.getVerbs();
            if (context == null) {
                throw new IOException("no RDMA device for " + address.getHostAddress()
                        + ": the bound rdma_cm id has no device context");
            }
            pd = context.allocPd();
            return new DisniProtectionDomain(address, channel, id, context, pd);
        } catch (IOException | RuntimeException e) {
            release(e, pd, id, channel);
            throw e;
        }
    }

    /**
     * Opens a protection domain on the named RDMA device (for example {@code rxe0}), reached
     * through the first IPv4 address of its network interface.
     *
     * @param device the RDMA device's name, as {@code rdma link} shows it
     * @return the open protection domain, which the caller closes
     * @throws IllegalArgumentException if {@code device} is not a device name
     * @throws IOException if there is no such device (the message lists the devices present,
     *     or says how to list them and how to add a SoftRoCE one), it has no IPv4 address, or
     *     opening fails as in {@link #open(InetAddress)}
     */
    public static DisniProtectionDomain openDevice(String device) throws IOException {
        Objects.requireNonNull(device, "device");
        return open(new RdmaDeviceAddresses().ipv4Of(device));
    }

    /** {@return the address this protection domain's device was found by} */
    public InetAddress address() {
        return address;
    }

    /** {@return DiSNI's device context} It is owned by librdmacm: not to be closed. */
    public IbvContext context() {
        return context;
    }

    /** {@return DiSNI's protection domain, for callers that use DiSNI's API directly} */
    public IbvPd pd() {
        return pd;
    }

    /** {@return the registrar for memory regions of this protection domain} */
    public DisniRegistrar registrar() {
        return registrar;
    }

    /**
     * Frees the protection domain, the cm id and the event channel. Idempotent.
     *
     * @throws IllegalStateException if registrations of {@link #registrar()} are still live;
     *     nothing is freed then, and close may be retried after deregistering them
     * @throws IOException if a free reported an error; everything else was still freed
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        registrar.retire();
        closed = true;
        IOException failure = release(null, pd, id, channel);
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Frees whichever of pd, id and channel exist, in that order. Failures are added as
     * suppressed exceptions to {@code primary} if given, else to a new IOException that is
     * returned (null if everything was freed).
     */
    private static IOException release(Exception primary, IbvPd pd, RdmaCmId id,
            RdmaEventChannel channel) {
        Exception collector = primary;
        if (pd != null) {
            collector = free("ibv_dealloc_pd", pd::deallocPd, collector);
        }
        if (id != null) {
            collector = free("rdma_destroy_id", id::destroyId, collector);
        }
        if (channel != null) {
            collector = free("rdma_destroy_event_channel", channel::destroyEventChannel,
                    collector);
        }
        return collector == primary ? null : (IOException) collector;
    }

    /** A DiSNI free call: returns rdma-core's code, 0 on success. */
    @FunctionalInterface
    private interface NativeFree {
        int free() throws Exception;
    }

    private static Exception free(String what, NativeFree call, Exception collector) {
        Exception failure;
        try {
            int ret = call.free();
            if (ret == 0) {
                return collector;
            }
            failure = new IOException(what + " returned " + ret);
        } catch (Exception e) {
            failure = e;
        }
        Exception target = collector != null
                ? collector : new IOException("closing the protection domain failed");
        target.addSuppressed(failure);
        return target;
    }

    @Override
    public String toString() {
        return "DisniProtectionDomain[" + address.getHostAddress() + "]";
    }
}
