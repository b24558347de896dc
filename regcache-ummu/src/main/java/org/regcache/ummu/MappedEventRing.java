package org.regcache.ummu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.regcache.ummu.internal.LibC;

/**
 * The consumer's side of the event ring of {@code UMMUNOTIFY_FEATURE_EVENT_RING}: the tail word
 * in a page of our own (anonymous, private, read-write; the kernel pins it at {@code
 * UMMUNOTIFY_SETUP_RING}), and the ring mapped read-only at {@code UMMUNOTIFY_RING_OFFSET}: a
 * control page ({@code struct ummunotify_ring}: head, entries, flags), then the entries.
 *
 * <p><b>Who writes which word</b> (kernel/Documentation/ummunotify.rst, "The event ring"). The
 * kernel writes an entry, stores {@code head} with release ({@code smp_store_release}), and then,
 * once per invalidation, the counter, with release too; it sets {@code OVERFLOW} before that
 * counter store. We write only the tail word: the number of entries we consumed. Before it
 * overwrites an entry the kernel loads the tail word with acquire; it ignores a value outside
 * [its last valid tail, head].
 *
 * <p><b>Memory ordering here.</b> Every access to the shared words goes through a {@link
 * VarHandle} view of a direct {@link ByteBuffer} over the mapping, as {@link CounterPage} reads
 * the counter: the access modes are defined by the Java memory model, aligned 64-bit accesses
 * are single-copy atomic by the {@code byteBufferViewVarHandle} contract, and no JNI call is made
 * (JNA's {@code Pointer.getLong/setLong} are JNI calls whose C side is a {@code memcpy}, atomic
 * by no contract; a {@code VarHandle.acquireFence()} after or {@code releaseFence()} before one of
 * them would order it, but not make it one access).
 * <ul>
 * <li>{@link #headAcquire()} is an acquire load: the loads that copy the entries ({@link #copy})
 *     come after it in program order and cannot be satisfied before it, so they see every entry
 *     the kernel wrote before its release store of that head value. The caller loaded the
 *     counter with acquire before it, so the head it sees is at least the one the kernel
 *     published before that counter value.
 * <li>{@link #publishTail} is a release store, then a full fence: the loads of
 *     {@link #copy} before it in program order are complete before the kernel can see the new
 *     tail (its acquire load pairs with this store), so it never overwrites an entry we are
 *     still copying; and no load after it (the page tables a re-pin walks, after the delivery)
 *     is satisfied before the kernel can see it. The kernel makes the matching full fence
 *     between clearing the page tables and loading the tail at an invalidation's end: either
 *     the re-pin sees the new pages, or the end sees the entry consumed and reports again.
 * <li>{@link #overflowAcquire()} is an acquire load of {@code flags}; it comes after the
 *     counter's acquire load, so it sees an {@code OVERFLOW} set before that counter value (set
 *     under the kernel's lock before its release store of the counter).
 * </ul>
 *
 * <p>Not thread-safe: one consumer (the source, under its drain lock). {@link #unmap()} only when
 * no call is in progress or will be made (the device's close accounting ensures it).
 */
final class MappedEventRing {
    private static final VarHandle LONGS =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INTS =
            MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final long tailPage;
    private final long mapping;
    private final long pageSize;
    private final long length;
    private final int entries;
    private final ByteBuffer tailWord;
    private final ByteBuffer control;
    private final ByteBuffer entryBytes;

    private MappedEventRing(long tailPage, long mapping, long pageSize, int entries) {
        this.tailPage = tailPage;
        this.mapping = mapping;
        this.pageSize = pageSize;
        this.entries = entries;
        this.length = UmmunotifyAbi.ringLength(pageSize, entries);
        this.tailWord = new Pointer(tailPage).getByteBuffer(0, Long.BYTES);
        this.control = new Pointer(mapping).getByteBuffer(0, pageSize);
        this.entryBytes = new Pointer(mapping + pageSize)
                .getByteBuffer(0, (long) entries * UmmunotifyAbi.EVENT_SIZE);
    }

    /**
     * Makes a ring of {@code entries} on {@code fd} (whose features include {@code
     * UMMUNOTIFY_FEATURE_EVENT_RING}) and maps it: an anonymous page for the tail word (0),
     * {@code UMMUNOTIFY_SETUP_RING}, then the read-only mapping.
     *
     * @param entries a power of two within the ABI's bounds
     * @return the ring
     * @throws RingSetupException when a step fails; {@link RingSetupException#ringMade} tells
     *     whether the kernel made the ring (then its events go there, not to read(), and the
     *     file must not be used without it); what this call mapped is unmapped again
     */
    static MappedEventRing setUp(int fd, long pageSize, int entries) throws RingSetupException {
        long tailPage;
        try {
            tailPage = LibC.mapAnonymous(pageSize);
        } catch (LastErrorException e) {
            throw new RingSetupException("mmap of the tail page", e.getErrorCode(), false);
        }
        boolean made = false;
        try {
            Memory setup = new Memory(UmmunotifyAbi.RING_SETUP_SIZE);
            setup.clear();
            setup.setLong(UmmunotifyAbi.RING_SETUP_TAIL_OFFSET, tailPage);
            setup.setInt(UmmunotifyAbi.RING_SETUP_ENTRIES_OFFSET, entries);
            LibC.ioctl(fd, UmmunotifyAbi.SETUP_RING, setup);
            made = true;
            Pointer ring = LibC.mmap(null, UmmunotifyAbi.ringLength(pageSize, entries),
                    LibC.PROT_READ, LibC.MAP_SHARED, fd, UmmunotifyAbi.RING_OFFSET);
            return new MappedEventRing(tailPage, Pointer.nativeValue(ring), pageSize, entries);
        } catch (LastErrorException e) {
            munmapQuietly(tailPage, pageSize);
            throw new RingSetupException(made ? "mmap of the ring" : "UMMUNOTIFY_SETUP_RING",
                    e.getErrorCode(), made);
        }
    }

    /** {@return the number of entries, a power of two} */
    int entries() {
        return entries;
    }

    /** Acquire load of {@code head}: the number of entries the kernel ever wrote. */
    long headAcquire() {
        return (long) LONGS.getAcquire(control, UmmunotifyAbi.RING_HEAD_OFFSET);
    }

    /**
     * Copies entries {@code from}, {@code from + 1}, ... ({@code count} of them, entry n at index
     * n modulo {@link #entries()}) into {@code to}, from its first record on. Plain loads: the
     * caller loaded a head of at least {@code from + count} with {@link #headAcquire()} before,
     * and publishes a tail past them with {@link #publishTail} only after.
     *
     * @param count at most {@code to.capacity()} and {@link #entries()}
     */
    void copy(long from, int count, EventBuffer to) {
        int first = (int) (from & (entries - 1));
        int beforeWrap = Math.min(count, entries - first);
        to.putRecords(0, entryBytes, first * UmmunotifyAbi.EVENT_SIZE, beforeWrap);
        if (count > beforeWrap) {
            to.putRecords(beforeWrap, entryBytes, 0, count - beforeWrap);
        }
    }

    /**
     * Release store of the tail word, then a full fence (a volatile store alone would not order
     * later plain loads on every platform): the entries before {@code tail} are consumed.
     */
    void publishTail(long tail) {
        LONGS.setRelease(tailWord, 0, tail);
        VarHandle.fullFence();
    }

    /** Acquire load of {@code flags}: {@return whether UMMUNOTIFY_RING_OVERFLOW is set} */
    boolean overflowAcquire() {
        int flags = (int) INTS.getAcquire(control, UmmunotifyAbi.RING_FLAGS_OFFSET);
        return (flags & UmmunotifyAbi.RING_OVERFLOW) != 0;
    }

    /** Unmaps the ring and the tail page (the kernel keeps its pin until the file is released). */
    void unmap() {
        munmapQuietly(mapping, length);
        munmapQuietly(tailPage, pageSize);
    }

    private static void munmapQuietly(long address, long length) {
        try {
            LibC.munmap(new Pointer(address), length);
        } catch (LastErrorException ignored) {
            // nothing more to do for memory we are abandoning
        }
    }

    /** A step of {@link #setUp} failed. */
    static final class RingSetupException extends Exception {
        private static final long serialVersionUID = 1L;
        /** Whether UMMUNOTIFY_SETUP_RING had succeeded: the kernel has a ring we cannot read. */
        final boolean ringMade;
        final int errno;

        RingSetupException(String step, int errno, boolean ringMade) {
            super(step + " failed: " + Errno.describe(errno));
            this.errno = errno;
            this.ringMade = ringMade;
        }
    }
}
