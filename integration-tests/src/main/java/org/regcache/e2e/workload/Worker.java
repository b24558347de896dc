package org.regcache.e2e.workload;

import com.ibm.disni.verbs.IbvPd;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.regcache.api.Access;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationException;
import org.regcache.api.RegistrationHandle;
import org.regcache.e2e.memory.BufferPool;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.memory.ClientBuffer;
import org.regcache.e2e.rdma.LoopbackConnection;
import org.regcache.e2e.rdma.RdmaClient;
import org.regcache.e2e.rdma.RdmaServer;

/**
 * One client thread's traffic: its own connection and buffers, registrations acquired from a
 * shared cache for every single transfer and released right after it.
 *
 * <p>A write fills a range of a client buffer with a fresh pattern, RDMA WRITEs it into the
 * server's buffer, and the server checks it. A read has the server fill its buffer with a fresh
 * pattern, RDMA READs it into the client range, and the client checks it. A stale registration
 * makes the device read or write the pages the range had when it was registered, so the check
 * fails: a corrupted transfer, counted, not thrown. A transfer the device rejects (a
 * deregistered key) throws {@link org.regcache.e2e.rdma.TransferFailedException}.
 *
 * <p>Used by one thread at a time; {@link #totals()} may be read from any thread.
 */
public final class Worker implements AutoCloseable {
    /** Every acquire asks for local write access, which RDMA READ destinations need. */
    public static final Set<Access> ACCESS = EnumSet.of(Access.LOCAL_WRITE);

    private final int index;
    private final RegistrationCache cache;
    private final LoopbackConnection connection;
    private final BufferPool pool;
    private final TestPattern pattern;
    private final SplittableRandom random;
    private final TransferCounters counters = new TransferCounters();
    private final ChurnKind[] lastChurn;
    private volatile String firstCorruption;

    private Worker(int index, RegistrationCache cache, LoopbackConnection connection,
            BufferPool pool, int maxTransfer, long seed) {
        this.index = index;
        this.cache = cache;
        this.connection = connection;
        this.pool = pool;
        this.pattern = new TestPattern(maxTransfer);
        this.random = new SplittableRandom(seed);
        this.lastChurn = new ChurnKind[pool.count()];
    }

    /**
     * Connects to a server on {@code address} (client queue pair in {@code pd}, the cache's
     * protection domain) and allocates the buffers {@code config} asks for.
     *
     * @param index this worker's number, for messages and its random seed
     */
    public static Worker open(int index, RegistrationCache cache, InetAddress address,
            IbvPd pd, WorkloadConfig config) throws IOException {
        BufferPool pool = BufferPool.allocate(config.buffersPerThread(), config.bufferSize(),
                config.churnKinds());
        try {
            LoopbackConnection connection = LoopbackConnection.open(address, pd,
                    config.bufferSize());
            return new Worker(index, cache, connection, pool, config.bufferSize(),
                    config.seed() + index);
        } catch (IOException | RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /** This worker's buffers. */
    public BufferPool pool() {
        return pool;
    }

    /**
     * One checked RDMA WRITE of {@code [offset, offset + length)} of buffer {@code buffer}.
     *
     * @return whether the server received exactly what was sent
     */
    public boolean write(int buffer, int offset, int length)
            throws IOException, RegistrationException {
        ClientBuffer client = pool.buffer(buffer);
        checkRange(client, offset, length);
        long seed = random.nextLong();
        TestPattern.fill(client.view(), offset, length, seed);
        RdmaServer server = connection.server();
        long address = client.address() + offset;
        try (RegistrationHandle handle = cache.acquire(address, length, ACCESS)) {
            connection.client().write(address, length, handle.lkey(), server.address(),
                    server.rkey());
        }
        int mismatch = pattern.firstMismatch(server.buffer(), 0, length, seed);
        record(true, buffer, client, offset, length, mismatch);
        return mismatch < 0;
    }

    /**
     * One checked RDMA READ into {@code [offset, offset + length)} of buffer {@code buffer}.
     *
     * @return whether the client received exactly what the server holds
     */
    public boolean read(int buffer, int offset, int length)
            throws IOException, RegistrationException {
        ClientBuffer client = pool.buffer(buffer);
        checkRange(client, offset, length);
        long seed = random.nextLong();
        RdmaServer server = connection.server();
        TestPattern.fill(server.buffer(), 0, length, seed);
        long address = client.address() + offset;
        try (RegistrationHandle handle = cache.acquire(address, length, ACCESS)) {
            connection.client().read(address, length, handle.lkey(), server.address(),
                    server.rkey());
        }
        int mismatch = pattern.firstMismatch(client.view(), offset, length, seed);
        record(false, buffer, client, offset, length, mismatch);
        return mismatch < 0;
    }

    /**
     * Like {@link #write} but with a handle the caller acquired and still holds, for tests of
     * handles kept across cache activity.
     */
    public boolean writeWith(RegistrationHandle handle, int buffer, int offset, int length)
            throws IOException {
        ClientBuffer client = pool.buffer(buffer);
        checkRange(client, offset, length);
        long address = client.address() + offset;
        if (!handle.registration().covers(address, length)) {
            throw new IllegalArgumentException("the handle does not cover the range");
        }
        long seed = random.nextLong();
        TestPattern.fill(client.view(), offset, length, seed);
        RdmaServer server = connection.server();
        connection.client().write(address, length, handle.lkey(), server.address(),
                server.rkey());
        int mismatch = pattern.firstMismatch(server.buffer(), 0, length, seed);
        record(true, buffer, client, offset, length, mismatch);
        return mismatch < 0;
    }

    /** Applies {@code kind} to buffer {@code buffer} (see {@link BufferPool#churn}). */
    public void churn(ChurnKind kind, int buffer) {
        pool.churn(kind, buffer, random);
        lastChurn[buffer] = kind;
        counters.churn();
    }

    /**
     * Runs random rounds (see {@link WorkloadConfig}) while {@code keepGoing} answers true and
     * the transfer limit is not reached.
     */
    public void runRandom(WorkloadConfig config, BooleanSupplier keepGoing)
            throws IOException, RegistrationException {
        List<Integer> sizes = config.sizes();
        boolean churning = !config.churnKinds().isEmpty() && config.churnProbability() > 0;
        long limit = config.maxTransfersPerThread();
        long done = 0;
        while (keepGoing.getAsBoolean() && (limit == 0 || done < limit)) {
            int buffer = random.nextInt(pool.count());
            int length = sizes.get(random.nextInt(sizes.size()));
            int offset = random.nextInt(pool.bufferSize() / length) * length;
            maybeChurn(churning, config.churnProbability());
            write(buffer, offset, length);
            maybeChurn(churning, config.churnProbability());
            read(buffer, offset, length);
            done += 2;
        }
    }

    private void maybeChurn(boolean churning, double probability) {
        if (churning && random.nextDouble() < probability) {
            BufferPool.Churn churn = pool.churnRandom(random);
            lastChurn[churn.buffer()] = churn.kind();
            counters.churn();
        }
    }

    private static void checkRange(ClientBuffer client, int offset, int length) {
        if (offset < 0 || length < 1 || offset > client.size() - length) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length
                    + ") is outside the " + client.size() + "-byte buffer");
        }
    }

    private void record(boolean write, int buffer, ClientBuffer client, int offset, int length,
            int mismatch) {
        counters.transfer(write, length, mismatch < 0, lastChurn[buffer]);
        if (mismatch >= 0 && firstCorruption == null) {
            ChurnKind churn = lastChurn[buffer];
            firstCorruption = (write ? "RDMA WRITE" : "RDMA READ") + " of " + length
                    + " bytes at offset " + offset + " of " + client + ": "
                    + (write ? "the server" : "the client") + " found byte " + mismatch
                    + " wrong; last change to that buffer: " + (churn == null
                            ? "none since it was allocated, where an earlier buffer was"
                            : churn.description());
        }
    }

    /** The counts so far; safe from any thread. */
    public TransferTotals totals() {
        return counters.snapshot();
    }

    /** The first corrupted transfer, described, or null if none was. */
    public String firstCorruption() {
        return firstCorruption;
    }

    /** The connection (for tests that inspect the server's registration). */
    public LoopbackConnection connection() {
        return connection;
    }

    /** Frees the connection and the buffers (the cache is the caller's). */
    @Override
    public void close() throws IOException {
        try {
            connection.close();
        } finally {
            pool.close();
        }
    }

    @Override
    public String toString() {
        return "worker " + index;
    }
}
