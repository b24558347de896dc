package org.regcache.e2e.rdma;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvCompChannel;
import com.ibm.disni.verbs.IbvContext;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.IbvQP;
import com.ibm.disni.verbs.IbvQPInitAttr;
import com.ibm.disni.verbs.RdmaCmId;
import java.io.IOException;

/**
 * One end of an RC connection: a completion channel, a completion queue and a queue pair on
 * an rdma_cm id, in a protection domain that is either given (and not freed here) or
 * allocated for this end alone. One RDMA operation is outstanding at a time.
 */
final class QueuePairSide {
    private static final int QUEUE_DEPTH = 4;

    final RdmaCmId id;
    final IbvPd pd;
    private final boolean ownsPd;
    private final IbvCompChannel compChannel;
    final IbvCQ cq;
    final IbvQP qp;

    /** @param pd the protection domain, or null to allocate one in the id's device context */
    QueuePairSide(RdmaCmId id, IbvPd pd) throws IOException {
        this.id = id;
        IbvContext context = id.getVerbs();
        if (context == null) {
            throw new IOException("the rdma_cm id has no device context");
        }
        this.ownsPd = pd == null;
        this.pd = ownsPd ? context.allocPd() : pd;
        IbvCompChannel channel = null;
        IbvCQ queue = null;
        try {
            channel = context.createCompChannel();
            queue = context.createCQ(channel, QUEUE_DEPTH * 2, 0);
            IbvQPInitAttr attr = new IbvQPInitAttr();
            attr.cap().setMax_send_wr(QUEUE_DEPTH);
            attr.cap().setMax_recv_wr(1);
            attr.cap().setMax_send_sge(1);
            attr.cap().setMax_recv_sge(1);
            attr.setQp_type(IbvQP.IBV_QPT_RC);
            attr.setSend_cq(queue);
            attr.setRecv_cq(queue);
            this.qp = id.createQP(this.pd, attr);
        } catch (IOException | RuntimeException e) {
            if (queue != null) {
                queue.destroyCQ();
            }
            if (channel != null) {
                channel.destroyCompChannel();
            }
            if (ownsPd) {
                deallocate(this.pd);
            }
            throw e;
        }
        this.compChannel = channel;
        this.cq = queue;
    }

    /** Destroys the QP and the id, then the CQ, the channel and the PD if owned. */
    void destroy() throws IOException {
        id.destroyQP();
        id.destroyId();
        cq.destroyCQ();
        compChannel.destroyCompChannel();
        if (ownsPd) {
            deallocate(pd);
        }
    }

    private static void deallocate(IbvPd pd) throws IOException {
        try {
            if (pd.deallocPd() != 0) {
                throw new IOException("ibv_dealloc_pd failed");
            }
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("ibv_dealloc_pd failed: " + e.getMessage(), e);
        }
    }
}
