package org.regcache.e2e.rdma;

import com.ibm.disni.verbs.IbvMr;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The passive end of a {@link LoopbackConnection}: a buffer registered once, for the whole
 * connection, with remote read and write rights. The client RDMA WRITEs into it and RDMA READs
 * from it; the server checks what arrived and prepares what is read, in {@link #buffer()}.
 */
public final class RdmaServer {
    private final QueuePairSide side;
    private final ByteBuffer buffer;
    private final IbvMr mr;

    RdmaServer(QueuePairSide side, int bufferSize) throws IOException {
        this.side = side;
        this.buffer = ByteBuffer.allocateDirect(bufferSize);
        this.mr = side.pd.regMr(buffer, IbvMr.IBV_ACCESS_LOCAL_WRITE
                | IbvMr.IBV_ACCESS_REMOTE_WRITE | IbvMr.IBV_ACCESS_REMOTE_READ)
                .execute().free().getMr();
    }

    /** The server's buffer (position 0, limit its capacity), for checking and preparing data. */
    public ByteBuffer buffer() {
        return buffer.duplicate().clear();
    }

    /** Start address of the buffer, the target of the client's work requests. */
    public long address() {
        return mr.getAddr();
    }

    /** Remote key of the buffer. */
    public int rkey() {
        return mr.getRkey();
    }

    /** Local key of the buffer's memory region (identifies it in {@code rdma resource}). */
    public int lkey() {
        return mr.getLkey();
    }

    /** Size of the buffer. */
    public int capacity() {
        return buffer.capacity();
    }

    void deregister() throws IOException {
        mr.deregMr().execute().free();
    }

    QueuePairSide side() {
        return side;
    }
}
