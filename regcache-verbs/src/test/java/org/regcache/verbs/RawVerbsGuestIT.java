package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.ibm.disni.util.MemoryUtils;
import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvCompChannel;
import com.ibm.disni.verbs.IbvContext;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.IbvQP;
import com.ibm.disni.verbs.IbvQPInitAttr;
import com.ibm.disni.verbs.IbvSendWR;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.RdmaCm;
import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaCmEvent.EventType;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.RdmaConnParam;
import com.ibm.disni.verbs.RdmaEventChannel;
import com.ibm.disni.verbs.RdmaVerbs;
import com.ibm.disni.verbs.SVCPollCq;
import com.ibm.disni.verbs.SVCPostSend;
import com.ibm.disni.verbs.impl.RdmaVerbsNat;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One RC connection built by hand with DiSNI's raw verbs API (RdmaEventChannel, RdmaCmId,
 * IbvContext, IbvCQ, IbvQP, RdmaVerbs), both ends on rxe0 (SoftRoCE loops traffic between
 * ids of one device back internally; rxe0 and rxe1 share a network namespace, where IPv4
 * packets between their addresses would take the loopback interface, which has no rxe).
 * The server takes completions by event (req_notify, comp channel, ack), the client by
 * polling.
 */
class RawVerbsGuestIT {
    private static final int BUFFER_SIZE = 64 * 1024;
    private static final int QUEUE_DEPTH = 16;
    private static final int RECV_ID = 500;

    private static RdmaVerbs verbs;
    private static RdmaEventChannel serverChannel;
    private static RdmaEventChannel clientChannel;
    private static RdmaCmId listenId;
    private static InetSocketAddress serverAddress;
    private static Side server;
    private static Side client;

    /** One end of the connection: its verbs objects and a registered buffer. */
    static final class Side {
        final RdmaCmId id;
        final IbvContext context;
        final IbvPd pd;
        final IbvCompChannel compChannel;
        final IbvCQ cq;
        final IbvQP qp;
        final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
        final IbvMr mr;
        final IbvWC[] wcs = new IbvWC[QUEUE_DEPTH];
        int unackedCqEvents;

        Side(RdmaCmId id) throws IOException {
            this.id = id;
            context = id.getVerbs();
            assertNotNull(context, "the id has a device context");
            pd = context.allocPd();
            compChannel = context.createCompChannel();
            cq = context.createCQ(compChannel, QUEUE_DEPTH * 2, 0);
            IbvQPInitAttr attr = new IbvQPInitAttr();
            attr.cap().setMax_send_wr(QUEUE_DEPTH);
            attr.cap().setMax_recv_wr(QUEUE_DEPTH);
            attr.cap().setMax_send_sge(4);
            attr.cap().setMax_recv_sge(4);
            attr.setQp_type(IbvQP.IBV_QPT_RC);
            attr.setSend_cq(cq);
            attr.setRecv_cq(cq);
            qp = id.createQP(pd, attr);
            mr = pd.regMr(buffer, IbvMr.IBV_ACCESS_LOCAL_WRITE | IbvMr.IBV_ACCESS_REMOTE_WRITE
                    | IbvMr.IBV_ACCESS_REMOTE_READ).execute().free().getMr();
            for (int i = 0; i < wcs.length; i++) {
                wcs[i] = new IbvWC();
            }
        }

        long address() {
            return MemoryUtils.getAddress(buffer);
        }

        void postReceive(int offset, int length) throws IOException {
            qp.postRecv(List.of(VerbsRequests.receive(RECV_ID,
                    VerbsRequests.sge(buffer, offset, length, mr))), null).execute().free();
        }

        /** Polls until n completions arrived; checks their success and returns copies. */
        List<IbvWC> poll(int n) throws IOException {
            List<IbvWC> completions = new ArrayList<>();
            SVCPollCq poll = cq.poll(wcs, wcs.length);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GuestRdma.EVENT_TIMEOUT_MS);
            try {
                while (completions.size() < n) {
                    int polled = poll.execute().getPolls();
                    for (int i = 0; i < polled; i++) {
                        completions.add(successful(wcs[i].clone()));
                    }
                    if (polled == 0 && System.nanoTime() > deadline) {
                        fail("only " + completions.size() + " of " + n + " completions arrived");
                    }
                }
            } finally {
                poll.free();
            }
            return completions;
        }

        /** Waits for a completion event (armed by arm()), acks it, and polls n completions. */
        List<IbvWC> awaitEventAndPoll(int n) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GuestRdma.EVENT_TIMEOUT_MS);
            while (!verbs.getCqEvent(compChannel, cq, 100)) {
                if (System.nanoTime() > deadline) {
                    fail("no completion event");
                }
            }
            unackedCqEvents++;
            assertEquals(0, verbs.ackCqEvents(cq, 1));
            unackedCqEvents--;
            return poll(n);
        }

        void arm() throws IOException {
            verbs.reqNotifyCQ(cq, false).execute().free();
        }

        void free() throws Exception {
            assertEquals(0, unackedCqEvents, "every CQ event acked before destroying the CQ");
            mr.deregMr().execute().free();
            assertEquals(0, cq.destroyCQ());
            assertEquals(0, compChannel.destroyCompChannel());
            assertEquals(0, pd.deallocPd());
        }
    }

    private static IbvWC successful(IbvWC wc) {
        assertEquals(IbvWC.IbvWcStatus.IBV_WC_SUCCESS.ordinal(), wc.getStatus(),
                "status of wr " + wc.getWr_id());
        return wc;
    }

    private static RdmaCmEvent awaitCmEvent(RdmaEventChannel channel, EventType expected)
            throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GuestRdma.EVENT_TIMEOUT_MS);
        RdmaCmEvent event;
        while ((event = channel.getCmEvent(100)) == null) {
            if (System.nanoTime() > deadline) {
                fail("no CM event, expected " + expected);
            }
        }
        event.ackEvent();
        assertEquals(expected, EventType.values()[event.getEvent()]);
        return event;
    }

    private static RdmaConnParam connParam() throws IOException {
        RdmaConnParam param = new RdmaConnParam();
        param.setRetry_count((byte) 2);
        param.setRnr_retry_count((byte) 2);
        return param;
    }

    @BeforeAll
    static void connect() throws Exception {
        verbs = RdmaVerbs.open();
        InetAddress serverIp = GuestRdma.rxeAddress();

        serverChannel = RdmaEventChannel.createEventChannel();
        listenId = serverChannel.createId(RdmaCm.RDMA_PS_TCP);
        listenId.bindAddr(new InetSocketAddress(serverIp, 0));
        listenId.listen(10);
        serverAddress = (InetSocketAddress) listenId.getSource();

        clientChannel = RdmaEventChannel.createEventChannel();
        RdmaCmId clientId = clientChannel.createId(RdmaCm.RDMA_PS_TCP);
        clientId.bindAddr(new InetSocketAddress(serverIp, 0));
        clientId.resolveAddr(null, serverAddress, GuestRdma.EVENT_TIMEOUT_MS);
        awaitCmEvent(clientChannel, EventType.RDMA_CM_EVENT_ADDR_RESOLVED);
        clientId.resolveRoute(GuestRdma.EVENT_TIMEOUT_MS);
        awaitCmEvent(clientChannel, EventType.RDMA_CM_EVENT_ROUTE_RESOLVED);

        client = new Side(clientId);
        client.postReceive(0, BUFFER_SIZE);
        clientId.connect(connParam());

        RdmaCmEvent request = awaitCmEvent(serverChannel, EventType.RDMA_CM_EVENT_CONNECT_REQUEST);
        assertSame(listenId, request.getListenIdPriv());
        server = new Side(request.getConnIdPriv());
        server.postReceive(0, BUFFER_SIZE);
        server.id.accept(connParam());

        awaitCmEvent(clientChannel, EventType.RDMA_CM_EVENT_ESTABLISHED);
        awaitCmEvent(serverChannel, EventType.RDMA_CM_EVENT_ESTABLISHED);
    }

    @AfterAll
    static void disconnectAndFree() throws Exception {
        if (client != null && server != null) {
            // the active side's DISCONNECTED waits for the passive side's rdma_disconnect
            assertEquals(0, client.id.disconnect());
            awaitCmEvent(serverChannel, EventType.RDMA_CM_EVENT_DISCONNECTED);
            assertEquals(0, server.id.disconnect());
            awaitCmEvent(clientChannel, EventType.RDMA_CM_EVENT_DISCONNECTED);
        }
        if (server != null) {
            assertEquals(0, server.id.destroyQP());
            assertEquals(0, server.id.destroyId());
            server.free();
        }
        if (client != null) {
            assertEquals(0, client.id.destroyEp(), "destroys the client's QP and id together");
            client.free();
        }
        if (listenId != null) {
            assertEquals(0, listenId.destroyId());
        }
        for (RdmaEventChannel channel : new RdmaEventChannel[] {serverChannel, clientChannel}) {
            if (channel != null) {
                assertEquals(0, channel.destroyEventChannel());
            }
        }
        GuestRdma.assertNoResourcesLeft();
    }

    @Test
    void theIdsReportBothEndsAddresses() throws Exception {
        InetSocketAddress clientSource = (InetSocketAddress) client.id.getSource();
        assertEquals(GuestRdma.rxeAddress(), clientSource.getAddress());
        assertTrue(clientSource.getPort() != serverAddress.getPort());
        assertEquals(clientSource, server.id.getDestination());
        assertEquals(serverAddress, client.id.getDestination());
        assertEquals(serverAddress, server.id.getSource());
    }

    @Test
    void theDeviceObjectsAnswerTheirQueries() throws Exception {
        for (Side side : new Side[] {client, server}) {
            assertTrue(side.context.getCmd_fd() >= 0);
            assertTrue(side.context.getNumCompVectors() >= 1);
            assertTrue(side.pd.getHandle() >= 0);
            assertTrue(side.qp.getQp_num() > 1, "not one of the special QPs 0 and 1");
        }
    }

    @Test
    void sendIsReceivedThroughTheCompletionChannel() throws Exception {
        byte[] text = "hello over SoftRoCE".getBytes(StandardCharsets.US_ASCII);
        client.buffer.put(0, text);
        server.arm();

        client.qp.postSend(List.of(VerbsRequests.send(11, VerbsRequests.SEND,
                VerbsRequests.sge(client.buffer, 0, text.length, client.mr))), null)
                .execute().free();

        IbvWC sent = client.poll(1).get(0);
        assertEquals(11, sent.getWr_id());
        assertEquals(IbvWC.IbvWcOpcode.IBV_WC_SEND.getOpcode(), sent.getOpcode());
        IbvWC received = server.awaitEventAndPoll(1).get(0);
        assertEquals(IbvWC.IbvWcOpcode.IBV_WC_RECV.getOpcode(), received.getOpcode());
        assertEquals(RECV_ID, received.getWr_id());
        assertEquals(text.length, received.getByte_len());
        assertEquals(server.qp.getQp_num(), received.getQp_num());
        byte[] got = new byte[text.length];
        server.buffer.get(0, got);
        assertEquals(new String(text, StandardCharsets.US_ASCII),
                new String(got, StandardCharsets.US_ASCII));
        server.postReceive(0, BUFFER_SIZE);
    }

    @Test
    void aChainOfWritesWithScatterGatherLandsInOrder() throws Exception {
        VerbsRequests.fill(client.buffer, 0, BUFFER_SIZE, 21);
        VerbsRequests.fill(server.buffer, 0, BUFFER_SIZE, 97);
        IbvSendWR first = VerbsRequests.rdma(21, VerbsRequests.RDMA_WRITE, server.address(),
                server.mr.getRkey(),
                VerbsRequests.sge(client.buffer, 0, 1000, client.mr),
                VerbsRequests.sge(client.buffer, 2000, 1000, client.mr));
        IbvSendWR second = VerbsRequests.rdma(22, VerbsRequests.RDMA_WRITE,
                server.address() + 3000, server.mr.getRkey(),
                VerbsRequests.sge(client.buffer, 4000, 1000, client.mr));

        client.qp.postSend(List.of(first, second), null).execute().free();

        List<IbvWC> done = client.poll(2);
        assertEquals(21, done.get(0).getWr_id());
        assertEquals(22, done.get(1).getWr_id());
        ByteBuffer expected = ByteBuffer.allocate(BUFFER_SIZE);
        VerbsRequests.fill(expected, 0, BUFFER_SIZE, 21);
        assertRegionEquals(expected, 0, server.buffer, 0, 1000);
        assertRegionEquals(expected, 2000, server.buffer, 1000, 1000);
        assertRegionEquals(expected, 4000, server.buffer, 3000, 1000);
        VerbsRequests.fill(expected, 0, BUFFER_SIZE, 97);
        assertRegionEquals(expected, 2000, server.buffer, 2000, 1000);
        assertRegionEquals(expected, 4000, server.buffer, 4000, BUFFER_SIZE - 4000);
    }

    @Test
    void aSerialisedReadIsReusedAfterInPlaceChanges() throws Exception {
        VerbsRequests.fill(server.buffer, 0, BUFFER_SIZE, 31);
        VerbsRequests.fill(client.buffer, 0, BUFFER_SIZE, 96);
        SVCPostSend read = client.qp.postSend(List.of(VerbsRequests.rdma(31,
                VerbsRequests.RDMA_READ, server.address(), server.mr.getRkey(),
                VerbsRequests.sge(client.buffer, 0, 4096, client.mr))), null);
        try {
            read.execute();
            assertEquals(31, client.poll(1).get(0).getWr_id());

            read.getWrMod(0).setWr_id(32);
            read.getWrMod(0).getRdmaMod().setRemote_addr(server.address() + 8192);
            read.getWrMod(0).getSgeMod(0).setAddr(client.address() + 16384);
            read.getWrMod(0).getSgeMod(0).setLength(100);
            read.execute();
            IbvWC second = client.poll(1).get(0);
            assertEquals(32, second.getWr_id());
            assertEquals(IbvWC.IbvWcOpcode.IBV_WC_RDMA_READ.getOpcode(), second.getOpcode());
        } finally {
            read.free();
        }
        ByteBuffer remote = ByteBuffer.allocate(BUFFER_SIZE);
        VerbsRequests.fill(remote, 0, BUFFER_SIZE, 31);
        assertRegionEquals(remote, 0, client.buffer, 0, 4096);
        assertRegionEquals(remote, 8192, client.buffer, 16384, 100);
        ByteBuffer untouched = ByteBuffer.allocate(BUFFER_SIZE);
        VerbsRequests.fill(untouched, 0, BUFFER_SIZE, 96);
        assertRegionEquals(untouched, 16484, client.buffer, 16484, 1000);
    }

    @Test
    void anEmptyQpModificationIsAccepted() throws Exception {
        assertSame(client.qp, ((RdmaVerbsNat) verbs).modifyQP(client.qp, null));

        server.arm();
        client.buffer.put(0, (byte) 42);
        client.qp.postSend(List.of(VerbsRequests.send(41, VerbsRequests.SEND,
                VerbsRequests.sge(client.buffer, 0, 1, client.mr))), null).execute().free();
        client.poll(1);
        assertEquals(1, server.awaitEventAndPoll(1).get(0).getByte_len(), "QP still connected");
        assertEquals(42, server.buffer.get(0));
        server.postReceive(0, BUFFER_SIZE);
    }

    @Test
    void prefetchNeedsOnDemandPaging() throws Exception {
        int odp = client.context.queryOdpSupport();
        if (odp >= 0) {
            return; // an ODP device would need an ODP memory region; SoftRoCE on 6.1 has none
        }
        IOException e = assertThrows(IOException.class,
                () -> client.mr.expPrefetchMr(client.address(), 4096));
        assertTrue(e.getMessage().contains("ibv_advise_mr failed: Operation not supported (errno 95)"),
                e.getMessage());
    }

    @Test
    void onlyTheTcpPortSpaceIsAccepted() {
        IOException e = assertThrows(IOException.class,
                () -> clientChannel.createId(RdmaCm.RDMA_PS_UDP));
        assertTrue(e.getMessage().contains("port space 0x111 not supported"), e.getMessage());
    }

    @Test
    void connectingWithoutListenerIsRejected() throws Exception {
        RdmaEventChannel channel = RdmaEventChannel.createEventChannel();
        try {
            RdmaCmId id = channel.createId(RdmaCm.RDMA_PS_TCP);
            id.resolveAddr(null, new InetSocketAddress(serverAddress.getAddress(),
                    serverAddress.getPort() == 65535 ? 65534 : serverAddress.getPort() + 1),
                    GuestRdma.EVENT_TIMEOUT_MS);
            awaitCmEvent(channel, EventType.RDMA_CM_EVENT_ADDR_RESOLVED);
            id.resolveRoute(GuestRdma.EVENT_TIMEOUT_MS);
            awaitCmEvent(channel, EventType.RDMA_CM_EVENT_ROUTE_RESOLVED);
            id.connect(connParam());
            awaitCmEvent(channel, EventType.RDMA_CM_EVENT_REJECTED);
            assertEquals(0, id.destroyEp());
        } finally {
            assertEquals(0, channel.destroyEventChannel());
        }
    }

    @Test
    void aNegativeLengthRegistrationIsRefusedByLibdisni() {
        IOException e = assertThrows(IOException.class,
                () -> server.pd.regMr(server.address(), -1, IbvMr.IBV_ACCESS_LOCAL_WRITE)
                        .execute().free());
        assertEquals("j2c::regMr: negative length -1", e.getMessage());
    }

    @Test
    void aZeroLengthRegistrationIsLeftToTheKernel() throws Exception {
        // libdisni passes lengths through (DisniRegistrar refuses 0 itself): the kernel
        // either refuses with its errno or registers an empty region
        List<Long> before = GuestRdma.memoryRegionLengths();
        IbvMr mr;
        try {
            mr = server.pd.regMr(server.address(), 0, IbvMr.IBV_ACCESS_LOCAL_WRITE)
                    .execute().free().getMr();
        } catch (IOException refused) {
            assertTrue(refused.getMessage().matches(
                    "j2c::regMr: ibv_reg_mr failed: .+ \\(errno \\d+\\)"), refused.getMessage());
            assertEquals(before, GuestRdma.memoryRegionLengths());
            return;
        }
        try {
            assertEquals(0, mr.getLength());
            List<Long> with = new ArrayList<>(before);
            with.add(0, 0L);
            assertEquals(with, GuestRdma.memoryRegionLengths());
        } finally {
            mr.deregMr().execute().free();
        }
        assertEquals(before, GuestRdma.memoryRegionLengths());
    }

    private static void assertRegionEquals(ByteBuffer expected, int expectedOffset,
            ByteBuffer actual, int actualOffset, int length) {
        for (int i = 0; i < length; i++) {
            if (expected.get(expectedOffset + i) != actual.get(actualOffset + i)) {
                fail("byte " + i + " of a " + length + "-byte region at " + actualOffset
                        + " differs: expected " + expected.get(expectedOffset + i) + ", got "
                        + actual.get(actualOffset + i));
            }
        }
    }
}
