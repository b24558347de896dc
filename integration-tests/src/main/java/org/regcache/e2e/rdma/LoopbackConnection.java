package org.regcache.e2e.rdma;

import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.RdmaCm;
import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaCmEvent.EventType;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.RdmaConnParam;
import com.ibm.disni.verbs.RdmaEventChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;

/**
 * An RC connection between a client and a server in this process, both on the RDMA device
 * that owns one IPv4 address (SoftRoCE delivers traffic between ids of one device internally).
 * The client's queue pair lives in a protection domain the caller gives, the one its
 * registration cache registers in, so that the cache's local keys are valid for it; the
 * server allocates its own protection domain and registers its buffer there once.
 *
 * <p>{@link #close()} disconnects both ends and frees every verbs object it made; the
 * caller's protection domain stays. Used by one thread at a time.
 */
public final class LoopbackConnection implements AutoCloseable {
    private final Deque<Teardown> teardown;
    private final RdmaCmId clientId;
    private final RdmaCmId serverId;
    private final RdmaEventChannel clientChannel;
    private final RdmaEventChannel serverChannel;
    private final RdmaClient client;
    private final RdmaServer server;
    private boolean closed;

    /** A step of freeing what was set up, run in reverse order. */
    @FunctionalInterface
    private interface Teardown {
        void run() throws IOException;
    }

    private LoopbackConnection(Deque<Teardown> teardown, RdmaCmId clientId, RdmaCmId serverId,
            RdmaEventChannel clientChannel, RdmaEventChannel serverChannel, RdmaClient client,
            RdmaServer server) {
        this.teardown = teardown;
        this.clientId = clientId;
        this.serverId = serverId;
        this.clientChannel = clientChannel;
        this.serverChannel = serverChannel;
        this.client = client;
        this.server = server;
    }

    /**
     * Connects a client whose queue pair is in {@code clientPd} to a server listening on
     * {@code address}, with a server buffer of {@code serverBufferSize} bytes.
     *
     * @throws IOException if a connection-management step or a verbs call fails; everything
     *     made so far is freed
     */
    public static LoopbackConnection open(InetAddress address, IbvPd clientPd,
            int serverBufferSize) throws IOException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(clientPd, "clientPd");
        Deque<Teardown> teardown = new ArrayDeque<>();
        try {
            RdmaEventChannel serverChannel = RdmaEventChannel.createEventChannel();
            teardown.push(serverChannel::destroyEventChannel);
            RdmaCmId listener = serverChannel.createId(RdmaCm.RDMA_PS_TCP);
            teardown.push(listener::destroyId);
            listener.bindAddr(new InetSocketAddress(address, 0));
            listener.listen(1);
            InetSocketAddress serverAddress = (InetSocketAddress) listener.getSource();

            RdmaEventChannel clientChannel = RdmaEventChannel.createEventChannel();
            teardown.push(clientChannel::destroyEventChannel);
            RdmaCmId clientId = clientChannel.createId(RdmaCm.RDMA_PS_TCP);
            teardown.push(clientId::destroyId);
            clientId.bindAddr(new InetSocketAddress(address, 0));
            clientId.resolveAddr(null, serverAddress, CmEvents.TIMEOUT_MS);
            CmEvents.await(clientChannel, EventType.RDMA_CM_EVENT_ADDR_RESOLVED);
            clientId.resolveRoute(CmEvents.TIMEOUT_MS);
            CmEvents.await(clientChannel, EventType.RDMA_CM_EVENT_ROUTE_RESOLVED);

            QueuePairSide clientSide = new QueuePairSide(clientId, clientPd);
            teardown.pop(); // the side destroys the id with its QP
            teardown.push(clientSide::destroy);
            RdmaClient client = new RdmaClient(clientSide);
            teardown.push(client::free);
            clientId.connect(parameters());

            RdmaCmEvent request = CmEvents.await(serverChannel,
                    EventType.RDMA_CM_EVENT_CONNECT_REQUEST);
            RdmaCmId serverId = request.getConnIdPriv();
            QueuePairSide serverSide;
            try {
                serverSide = new QueuePairSide(serverId, null);
            } catch (IOException | RuntimeException e) {
                serverId.destroyId();
                throw e;
            }
            teardown.push(serverSide::destroy);
            RdmaServer server = new RdmaServer(serverSide, serverBufferSize);
            teardown.push(server::deregister);
            serverId.accept(parameters());
            CmEvents.await(clientChannel, EventType.RDMA_CM_EVENT_ESTABLISHED);
            CmEvents.await(serverChannel, EventType.RDMA_CM_EVENT_ESTABLISHED);
            return new LoopbackConnection(teardown, clientId, serverId, clientChannel,
                    serverChannel, client, server);
        } catch (IOException | RuntimeException e) {
            runAll(teardown, e);
            throw e;
        }
    }

    private static RdmaConnParam parameters() throws IOException {
        RdmaConnParam parameters = new RdmaConnParam();
        parameters.setRetry_count((byte) 2);
        parameters.setRnr_retry_count((byte) 2);
        return parameters;
    }

    /** The client end. */
    public RdmaClient client() {
        return client;
    }

    /** The server end. */
    public RdmaServer server() {
        return server;
    }

    /**
     * Disconnects (client first, as rdma_cm expects) and frees everything this connection
     * made. Idempotent.
     *
     * @throws IOException if a step failed; the remaining steps still ran
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        try {
            clientId.disconnect();
            CmEvents.await(serverChannel, EventType.RDMA_CM_EVENT_DISCONNECTED);
            serverId.disconnect();
            CmEvents.await(clientChannel, EventType.RDMA_CM_EVENT_DISCONNECTED);
        } catch (IOException | RuntimeException e) {
            failure = new IOException("disconnecting failed: " + e.getMessage(), e);
        }
        runAll(teardown, failure);
        if (failure != null) {
            throw failure;
        }
    }

    /** Runs every teardown step; failures are added to {@code primary} if given, else thrown. */
    private static void runAll(Deque<Teardown> teardown, Exception primary) throws IOException {
        IOException collected = null;
        while (!teardown.isEmpty()) {
            try {
                teardown.pop().run();
            } catch (IOException | RuntimeException e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (collected == null) {
                    collected = new IOException("freeing the connection failed: "
                            + e.getMessage(), e);
                } else {
                    collected.addSuppressed(e);
                }
            }
        }
        if (collected != null) {
            throw collected;
        }
    }
}
