package org.regcache.e2e.rdma;

import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaCmEvent.EventType;
import com.ibm.disni.verbs.RdmaEventChannel;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Waiting for one expected rdma_cm event. */
final class CmEvents {
    /** Upper bound for any connection-management step; reaching it is an error, not a timing. */
    static final int TIMEOUT_MS = 30_000;
    private static final int POLL_MS = 100;

    private CmEvents() {
    }

    /**
     * Waits for the next event on {@code channel}, acknowledges it and checks it is
     * {@code expected}.
     *
     * @throws IOException if another event arrives (named in the message) or none within
     *     {@link #TIMEOUT_MS}
     */
    static RdmaCmEvent await(RdmaEventChannel channel, EventType expected) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        RdmaCmEvent event;
        while ((event = channel.getCmEvent(POLL_MS)) == null) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("no rdma_cm event within " + TIMEOUT_MS + " ms, expected "
                        + expected);
            }
        }
        event.ackEvent();
        int type = event.getEvent();
        if (type != expected.ordinal()) {
            String name = type >= 0 && type < EventType.values().length
                    ? EventType.values()[type].name() : "event " + type;
            throw new IOException("rdma_cm: expected " + expected + ", got " + name
                    + " (status " + event.getStatus() + ")");
        }
        return event;
    }
}
