package org.regcache.e2e.memory;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A client's buffers and the changes ({@link ChurnKind}) it makes to their memory, the way
 * applications allocate, reuse, free and unmap buffers while their registrations may still be
 * cached.
 *
 * <p>The pool holds direct ByteBuffers when {@link ChurnKind#DIRECT_REALLOCATE} is enabled and
 * mmap'ed buffers when a mapped-memory kind is (alternating when both are), all of one size.
 * With {@link ChurnKind#MREMAP_MOVE} it also keeps an inaccessible spare region of that size:
 * a move sends a buffer to the spare and makes the place it left the new spare, so that the
 * next move brings a different buffer — different pages — to an address a registration may
 * still cover.
 *
 * <p>Used by one thread at a time. {@link #close()} frees everything.
 */
public final class BufferPool implements AutoCloseable {
    /** The page size the pool aligns to (x86_64 and most arm64 kernels). */
    public static final int PAGE_SIZE = 4096;

    private final int bufferSize;
    private final EnumSet<ChurnKind> kinds;
    private final List<ChurnKind> kindList;
    private final List<ClientBuffer> buffers = new ArrayList<>();
    private long spare;
    private long displacedRemaps;

    private BufferPool(int bufferSize, Set<ChurnKind> kinds) {
        this.bufferSize = bufferSize;
        this.kinds = kinds.isEmpty() ? EnumSet.noneOf(ChurnKind.class) : EnumSet.copyOf(kinds);
        this.kindList = List.copyOf(this.kinds);
    }

    /**
     * Allocates {@code count} buffers of {@code bufferSize} bytes for the given churn kinds.
     *
     * @throws IllegalArgumentException if count is below 1 (below 2 with MREMAP_MOVE, which
     *     needs a second buffer to move into a vacated place) or the size is not a positive
     *     multiple of {@link #PAGE_SIZE}
     */
    public static BufferPool allocate(int count, int bufferSize, Set<ChurnKind> kinds) {
        Objects.requireNonNull(kinds, "kinds");
        if (bufferSize <= 0 || bufferSize % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("bufferSize must be a positive multiple of "
                    + PAGE_SIZE + ", was " + bufferSize);
        }
        int minimum = kinds.contains(ChurnKind.MREMAP_MOVE) ? 2 : 1;
        if (count < minimum) {
            throw new IllegalArgumentException("at least " + minimum + " buffers needed for "
                    + kinds + ", was " + count);
        }
        boolean direct = kinds.contains(ChurnKind.DIRECT_REALLOCATE);
        boolean mapped = kinds.stream().anyMatch(ChurnKind::onMappedMemory) || !direct;
        BufferPool pool = new BufferPool(bufferSize, kinds);
        try {
            for (int i = 0; i < count; i++) {
                boolean makeDirect = direct && (!mapped || i % 2 == 1);
                pool.buffers.add(makeDirect
                        ? new DirectClientBuffer(bufferSize) : new MappedClientBuffer(bufferSize));
            }
            if (kinds.contains(ChurnKind.MREMAP_MOVE)) {
                pool.spare = Mappings.reserve(bufferSize);
            }
        } catch (RuntimeException | Error e) {
            pool.close();
            throw e;
        }
        return pool;
    }

    /** Number of buffers. */
    public int count() {
        return buffers.size();
    }

    /** Size of every buffer. */
    public int bufferSize() {
        return bufferSize;
    }

    /** Buffer {@code index}; the object stays the same across churn, its address may not. */
    public ClientBuffer buffer(int index) {
        return buffers.get(index);
    }

    /** The enabled churn kinds. */
    public Set<ChurnKind> kinds() {
        return EnumSet.copyOf(kinds);
    }

    /**
     * How often an munmap + mmap found its address taken by another thread in between, so that
     * the buffer had to move elsewhere (rare; the change still happened).
     */
    public long displacedRemaps() {
        return displacedRemaps;
    }

    /** A change made by {@link #churnRandom}: which kind, to which buffer. */
    public record Churn(ChurnKind kind, int buffer) {
    }

    /**
     * Applies a random enabled kind to a random buffer it applies to.
     *
     * @return what was changed
     * @throws IllegalStateException if no kind is enabled
     */
    public Churn churnRandom(SplittableRandom random) {
        if (kindList.isEmpty()) {
            throw new IllegalStateException("no churn kind enabled");
        }
        ChurnKind kind = kindList.get(random.nextInt(kindList.size()));
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < buffers.size(); i++) {
            if (appliesTo(kind, buffers.get(i))) {
                candidates.add(i);
            }
        }
        int index = candidates.get(random.nextInt(candidates.size()));
        churn(kind, index, random);
        return new Churn(kind, index);
    }

    /**
     * Applies {@code kind} to buffer {@code index}. MADVISE_DONTNEED discards a random run of
     * whole pages chosen with {@code random}.
     *
     * @throws IllegalArgumentException if the kind is not enabled or does not apply to the
     *     buffer (a direct buffer cannot be unmapped, a mapping cannot be reallocated)
     */
    public void churn(ChurnKind kind, int index, SplittableRandom random) {
        ClientBuffer buffer = buffers.get(index);
        if (!kinds.contains(kind) || !appliesTo(kind, buffer)) {
            throw new IllegalArgumentException(kind + " does not apply to " + buffer
                    + " (enabled: " + kinds + ")");
        }
        switch (kind) {
            case DIRECT_REALLOCATE:
                ((DirectClientBuffer) buffer).reallocate();
                break;
            case MUNMAP_MMAP:
                if (!((MappedClientBuffer) buffer).unmapAndMapAgain()) {
                    displacedRemaps++;
                }
                break;
            case MAP_FIXED_REPLACE:
                ((MappedClientBuffer) buffer).replaceInPlace();
                break;
            case MADVISE_DONTNEED:
                int pages = bufferSize / PAGE_SIZE;
                int first = random.nextInt(pages);
                int count = 1 + random.nextInt(pages - first);
                ((MappedClientBuffer) buffer).discard(first * PAGE_SIZE, count * PAGE_SIZE);
                break;
            case MREMAP_MOVE:
                long left = ((MappedClientBuffer) buffer).moveTo(spare);
                spare = Mappings.mapAtIfFree(left, bufferSize, false)
                        ? left : Mappings.reserve(bufferSize);
                break;
            default:
                throw new AssertionError(kind);
        }
    }

    private static boolean appliesTo(ChurnKind kind, ClientBuffer buffer) {
        return kind.onMappedMemory() == (buffer instanceof MappedClientBuffer);
    }

    /** Frees every buffer and the spare region. Idempotent. */
    @Override
    public void close() {
        for (ClientBuffer buffer : buffers) {
            if (buffer instanceof MappedClientBuffer) {
                ((MappedClientBuffer) buffer).unmap();
            } else {
                ((DirectClientBuffer) buffer).free();
            }
        }
        buffers.clear();
        if (spare != 0) {
            Mappings.unmap(spare, bufferSize);
            spare = 0;
        }
    }
}
