package org.regcache.e2e.rdma;

import com.ibm.disni.verbs.IbvSendWR;
import com.ibm.disni.verbs.IbvSge;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.SVCPollCq;
import com.ibm.disni.verbs.SVCPostSend;
import java.io.IOException;
import java.util.LinkedList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The active end of a {@link LoopbackConnection}: RDMA WRITE and RDMA READ between a local
 * range (under a local key the caller got from its registration cache) and a remote range
 * (under the server's remote key), each waited for before the call returns.
 *
 * <p>The two work requests are serialised once and modified in place for every operation, and
 * completions are polled, so an operation allocates nothing. Used by one thread at a time.
 */
public final class RdmaClient {
    /** Upper bound for one operation to complete; reaching it is an error, not a timing. */
    public static final int COMPLETION_TIMEOUT_MS = 30_000;
    private static final int SPINS_BEFORE_YIELD = 64;

    private final QueuePairSide side;
    private final SVCPostSend write;
    private final SVCPostSend read;
    private final IbvWC[] completions = {new IbvWC()};
    private final SVCPollCq poll;
    private long nextWorkRequestId = 1;

    RdmaClient(QueuePairSide side) throws IOException {
        this.side = side;
        this.write = side.qp.postSend(List.of(request(IbvSendWR.IbvWrOcode.IBV_WR_RDMA_WRITE)),
                null);
        this.read = side.qp.postSend(List.of(request(IbvSendWR.IbvWrOcode.IBV_WR_RDMA_READ)),
                null);
        this.poll = side.cq.poll(completions, completions.length);
    }

    private static IbvSendWR request(IbvSendWR.IbvWrOcode opcode) {
        IbvSendWR wr = new IbvSendWR();
        wr.setOpcode(opcode.ordinal());
        wr.setSend_flags(IbvSendWR.IBV_SEND_SIGNALED);
        LinkedList<IbvSge> sges = new LinkedList<>();
        sges.add(new IbvSge());
        wr.setSg_list(sges);
        return wr;
    }

    /**
     * RDMA WRITE of {@code [localAddress, localAddress + length)} to {@code remoteAddress}.
     *
     * @throws TransferFailedException if the operation completes with an error status or not
     *     within {@link #COMPLETION_TIMEOUT_MS}
     * @throws IOException if DiSNI fails to post or poll
     */
    public void write(long localAddress, int length, int lkey, long remoteAddress, int rkey)
            throws IOException {
        execute(write, "RDMA WRITE", localAddress, length, lkey, remoteAddress, rkey);
    }

    /** RDMA READ of {@code length} bytes at {@code remoteAddress} into the local range; as
     *  {@link #write}. */
    public void read(long localAddress, int length, int lkey, long remoteAddress, int rkey)
            throws IOException {
        execute(read, "RDMA READ", localAddress, length, lkey, remoteAddress, rkey);
    }

    private void execute(SVCPostSend call, String what, long localAddress, int length, int lkey,
            long remoteAddress, int rkey) throws IOException {
        long id = nextWorkRequestId++;
        SVCPostSend.SendWRMod wr = call.getWrMod(0);
        wr.setWr_id(id);
        wr.getSgeMod(0).setAddr(localAddress);
        wr.getSgeMod(0).setLength(length);
        wr.getSgeMod(0).setLkey(lkey);
        wr.getRdmaMod().setRemote_addr(remoteAddress);
        wr.getRdmaMod().setRkey(rkey);
        call.execute();
        IbvWC done = awaitCompletion(what);
        String operation = what + " of " + length + " bytes at 0x" + Long.toHexString(localAddress)
                + " (lkey 0x" + Integer.toHexString(lkey) + ")";
        if (done.getWr_id() != id) {
            throw new TransferFailedException(operation + ": completion of work request "
                    + done.getWr_id() + " arrived, expected " + id);
        }
        if (done.getStatus() != IbvWC.IbvWcStatus.IBV_WC_SUCCESS.ordinal()) {
            throw new TransferFailedException(operation + " failed: " + statusName(
                    done.getStatus()) + " (vendor error " + done.getVendor_err() + ")");
        }
    }

    private IbvWC awaitCompletion(String what) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(COMPLETION_TIMEOUT_MS);
        int spins = 0;
        while (poll.execute().getPolls() == 0) {
            if (++spins % SPINS_BEFORE_YIELD == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new TransferFailedException(what + ": no completion within "
                            + COMPLETION_TIMEOUT_MS + " ms");
                }
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        return completions[0];
    }

    private static String statusName(int status) {
        IbvWC.IbvWcStatus[] all = IbvWC.IbvWcStatus.values();
        return status >= 0 && status < all.length ? all[status].name() : "status " + status;
    }

    void free() {
        write.free();
        read.free();
        poll.free();
    }

    @Override
    public String toString() {
        return "RdmaClient[qp " + side.qp + "]";
    }
}
