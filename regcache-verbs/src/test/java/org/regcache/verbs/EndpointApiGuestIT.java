package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.ibm.disni.RdmaActiveEndpoint;
import com.ibm.disni.RdmaActiveEndpointGroup;
import com.ibm.disni.RdmaServerEndpoint;
import com.ibm.disni.util.MemoryUtils;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.RdmaCmId;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SEND/RECV, RDMA WRITE and RDMA READ between two endpoints of DiSNI's endpoint API
 * (RdmaActiveEndpointGroup: CM and CQ processor threads, event-driven completions).
 */
class EndpointApiGuestIT {
    private static final int BUFFER_SIZE = 64 * 1024;
    private static final int MESSAGE_SIZE = 256;
    private static final int RECV_ID = 1000;

    private static RdmaActiveEndpointGroup<Endpoint> serverGroup;
    private static RdmaActiveEndpointGroup<Endpoint> clientGroup;
    private static RdmaServerEndpoint<Endpoint> listener;
    private static Endpoint server;
    private static Endpoint client;

    /** An endpoint with a message buffer (receives posted at init) and a data buffer. */
    static final class Endpoint extends RdmaActiveEndpoint {
        final ByteBuffer messages = ByteBuffer.allocateDirect(BUFFER_SIZE);
        final ByteBuffer data = ByteBuffer.allocateDirect(BUFFER_SIZE);
        final BlockingQueue<IbvWC> completions = new ArrayBlockingQueue<>(64);
        IbvMr messagesMr;
        IbvMr dataMr;

        Endpoint(RdmaActiveEndpointGroup<Endpoint> group, RdmaCmId id, boolean serverSide)
                throws IOException {
            super(group, id, serverSide);
        }

        @Override
        protected synchronized void init() throws IOException {
            super.init();
            messagesMr = registerMemory(messages).execute().free().getMr();
            dataMr = registerMemory(data).execute().free().getMr();
            // DiSNI's endpoints connect with rnr_retry 0: receives must be posted first
            postReceive();
        }

        void postReceive() throws IOException {
            postRecv(List.of(VerbsRequests.receive(RECV_ID,
                    VerbsRequests.sge(messages, 0, MESSAGE_SIZE, messagesMr))))
                    .execute().free();
        }

        @Override
        public void dispatchCqEvent(IbvWC wc) {
            // DiSNI reuses the IbvWC object: keep a copy
            completions.add(wc.clone());
        }

        IbvWC nextCompletion() throws InterruptedException {
            IbvWC wc = completions.poll(GuestRdma.EVENT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(wc, "no completion");
            assertEquals(IbvWC.IbvWcStatus.IBV_WC_SUCCESS.ordinal(), wc.getStatus(),
                    "completion status of wr " + wc.getWr_id());
            return wc;
        }

        void releaseMemory() throws IOException {
            deregisterMemory(messagesMr);
            deregisterMemory(dataMr);
        }
    }

    @BeforeAll
    static void connect() throws Exception {
        serverGroup = new RdmaActiveEndpointGroup<>(1000, false, 64, 4, 64);
        serverGroup.init((id, serverSide) -> new Endpoint(serverGroup, id, serverSide));
        clientGroup = new RdmaActiveEndpointGroup<>(1000, false, 64, 4, 64);
        clientGroup.init((id, serverSide) -> new Endpoint(clientGroup, id, serverSide));

        listener = serverGroup.createServerEndpoint();
        listener.bind(new InetSocketAddress(GuestRdma.rxeAddress(), 0), 10);
        InetSocketAddress serverAddress = (InetSocketAddress) listener.getSrcAddr();
        assertEquals(GuestRdma.rxeAddress(), serverAddress.getAddress());
        assertTrue(serverAddress.getPort() > 0, "bound to an ephemeral port");

        ExecutorService acceptor = Executors.newSingleThreadExecutor();
        try {
            Future<Endpoint> accepted = acceptor.submit(listener::accept);
            client = clientGroup.createEndpoint();
            client.connect(serverAddress, GuestRdma.EVENT_TIMEOUT_MS);
            server = accepted.get(GuestRdma.EVENT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } finally {
            acceptor.shutdownNow();
        }
        assertEquals(client.getSrcAddr(), server.getDstAddr());
        assertEquals(serverAddress, client.getDstAddr());
    }

    @AfterAll
    static void close() throws Exception {
        for (Endpoint endpoint : new Endpoint[] {client, server}) {
            if (endpoint != null) {
                endpoint.releaseMemory();
                endpoint.close();
            }
        }
        if (listener != null) {
            listener.close();
        }
        for (RdmaActiveEndpointGroup<Endpoint> group : List.of(clientGroup, serverGroup)) {
            group.close();
        }
        // DiSNI's endpoint API never frees the protection domains it caches per device
        // (process-wide, so both groups share one): free each once
        Set<IbvPd> domains = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Endpoint endpoint : new Endpoint[] {client, server}) {
            if (endpoint != null) {
                domains.add(endpoint.getPd());
            }
        }
        for (IbvPd pd : domains) {
            assertEquals(0, pd.deallocPd());
        }
        GuestRdma.assertNoResourcesLeft();
    }

    /** Sends [0, length) of from's message buffer; returns the receiver's RECV completion. */
    private static IbvWC sendMessage(Endpoint from, Endpoint to, int length) throws Exception {
        from.postSend(List.of(VerbsRequests.send(1, VerbsRequests.SEND,
                VerbsRequests.sge(from.messages, 0, length, from.messagesMr))))
                .execute().free();
        IbvWC sent = from.nextCompletion();
        assertEquals(IbvWC.IbvWcOpcode.IBV_WC_SEND.getOpcode(), sent.getOpcode());
        IbvWC received = to.nextCompletion();
        assertEquals(IbvWC.IbvWcOpcode.IBV_WC_RECV.getOpcode(), received.getOpcode());
        assertEquals(RECV_ID, received.getWr_id());
        to.postReceive();
        return received;
    }

    @Test
    void sendAndReceiveInBothDirections() throws Exception {
        VerbsRequests.fill(client.messages, 0, MESSAGE_SIZE, 1);
        IbvWC atServer = sendMessage(client, server, MESSAGE_SIZE);
        assertEquals(MESSAGE_SIZE, atServer.getByte_len());
        assertEquals(-1, VerbsRequests.firstMismatch(server.messages, 0, MESSAGE_SIZE, 1));

        VerbsRequests.fill(server.messages, 0, 100, 2);
        IbvWC atClient = sendMessage(server, client, 100);
        assertEquals(100, atClient.getByte_len());
        assertEquals(-1, VerbsRequests.firstMismatch(client.messages, 0, 100, 2));
    }

    /** The server advertises its data buffer (address, length, rkey) in a message. */
    private static ByteBuffer advertiseServerData() throws Exception {
        server.messages.putLong(0, MemoryUtils.getAddress(server.data));
        server.messages.putInt(8, BUFFER_SIZE);
        server.messages.putInt(12, server.dataMr.getRkey());
        sendMessage(server, client, 16);
        return client.messages.duplicate().order(client.messages.order());
    }

    @Test
    void rdmaWriteLandsInTheAdvertisedBuffer() throws Exception {
        ByteBuffer advert = advertiseServerData();
        long remote = advert.getLong(0);
        int rkey = advert.getInt(12);
        VerbsRequests.fill(client.data, 0, BUFFER_SIZE, 3);
        VerbsRequests.fill(server.data, 0, BUFFER_SIZE, 99);

        client.postSend(List.of(VerbsRequests.rdma(7, VerbsRequests.RDMA_WRITE, remote, rkey,
                VerbsRequests.sge(client.data, 0, BUFFER_SIZE, client.dataMr))))
                .execute().free();

        IbvWC written = client.nextCompletion();
        assertEquals(IbvWC.IbvWcOpcode.IBV_WC_RDMA_WRITE.getOpcode(), written.getOpcode());
        assertEquals(7, written.getWr_id());
        assertEquals(-1, VerbsRequests.firstMismatch(server.data, 0, BUFFER_SIZE, 3));
    }

    @Test
    void rdmaReadFetchesTheAdvertisedBuffer() throws Exception {
        ByteBuffer advert = advertiseServerData();
        long remote = advert.getLong(0);
        int rkey = advert.getInt(12);
        VerbsRequests.fill(server.data, 0, BUFFER_SIZE, 4);
        VerbsRequests.fill(client.data, 0, BUFFER_SIZE, 98);

        client.postSend(List.of(VerbsRequests.rdma(8, VerbsRequests.RDMA_READ, remote + 512,
                rkey, VerbsRequests.sge(client.data, 0, BUFFER_SIZE - 512, client.dataMr))))
                .execute().free();

        IbvWC read = client.nextCompletion();
        assertEquals(IbvWC.IbvWcOpcode.IBV_WC_RDMA_READ.getOpcode(), read.getOpcode());
        assertEquals(8, read.getWr_id());
        ByteBuffer expected = ByteBuffer.allocate(BUFFER_SIZE);
        VerbsRequests.fill(expected, 0, BUFFER_SIZE, 4);
        for (int i = 0; i < BUFFER_SIZE - 512; i++) {
            assertEquals(expected.get(512 + i), client.data.get(i), "byte " + i);
        }
    }
}
