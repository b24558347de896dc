package org.regcache.verbs;

import com.ibm.disni.util.MemoryUtils;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvRecvWR;
import com.ibm.disni.verbs.IbvSendWR;
import com.ibm.disni.verbs.IbvSge;
import java.nio.ByteBuffer;
import java.util.LinkedList;

/** Work requests and buffer contents shared by the guest data-path tests. */
final class VerbsRequests {
    static final int SEND = IbvSendWR.IbvWrOcode.IBV_WR_SEND.ordinal();
    static final int RDMA_WRITE = IbvSendWR.IbvWrOcode.IBV_WR_RDMA_WRITE.ordinal();
    static final int RDMA_READ = IbvSendWR.IbvWrOcode.IBV_WR_RDMA_READ.ordinal();

    private VerbsRequests() {
    }

    static IbvSge sge(ByteBuffer buffer, int offset, int length, IbvMr mr) {
        IbvSge sge = new IbvSge();
        sge.setAddr(MemoryUtils.getAddress(buffer) + offset);
        sge.setLength(length);
        sge.setLkey(mr.getLkey());
        return sge;
    }

    /** A signaled send WR of {@code opcode} over the given SGEs. */
    static IbvSendWR send(long wrId, int opcode, IbvSge... sges) {
        IbvSendWR wr = new IbvSendWR();
        wr.setWr_id(wrId);
        wr.setOpcode(opcode);
        wr.setSend_flags(IbvSendWR.IBV_SEND_SIGNALED);
        LinkedList<IbvSge> list = new LinkedList<>();
        for (IbvSge sge : sges) {
            list.add(sge);
        }
        wr.setSg_list(list);
        return wr;
    }

    /** A signaled RDMA READ or WRITE WR targeting [remoteAddress, ...) under rkey. */
    static IbvSendWR rdma(long wrId, int opcode, long remoteAddress, int rkey, IbvSge... sges) {
        IbvSendWR wr = send(wrId, opcode, sges);
        wr.getRdma().setRemote_addr(remoteAddress);
        wr.getRdma().setRkey(rkey);
        return wr;
    }

    static IbvRecvWR receive(long wrId, IbvSge sge) {
        IbvRecvWR wr = new IbvRecvWR();
        wr.setWr_id(wrId);
        LinkedList<IbvSge> list = new LinkedList<>();
        list.add(sge);
        wr.setSg_list(list);
        return wr;
    }

    /** Fills [offset, offset + length) with a pattern that depends on seed and position. */
    static void fill(ByteBuffer buffer, int offset, int length, int seed) {
        for (int i = 0; i < length; i++) {
            buffer.put(offset + i, patternByte(seed, i));
        }
    }

    /** Index of the first byte of [offset, offset + length) that differs from fill's, or -1. */
    static int firstMismatch(ByteBuffer buffer, int offset, int length, int seed) {
        for (int i = 0; i < length; i++) {
            if (buffer.get(offset + i) != patternByte(seed, i)) {
                return i;
            }
        }
        return -1;
    }

    private static byte patternByte(int seed, int position) {
        return (byte) (seed * 31 + position * 7 + (position >>> 8));
    }
}
