package org.regcache.api;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;

/**
 * The native address of a range of a direct {@link ByteBuffer}, with the checks that make
 * registering it meaningful. Behind {@link RegistrationCache#acquire(ByteBuffer, Set)}.
 *
 * <p>The address comes from JNI's {@code GetDirectBufferAddress} through JNA ({@link
 * Native#getDirectBufferPointer}), the one way JDK 17 offers without internal APIs: no {@code
 * --add-exports} or {@code --add-opens} flag is needed. It is the address of the buffer's index
 * 0, so a slice's address already includes its offset in the buffer it was sliced from. JNA is
 * loaded by the first call only.
 *
 * <p>A JNI call costs about as much as a cache hit, and a buffer's address never changes, so
 * the addresses of buffers seen recently are remembered in a table of {@value #MEMO_SLOTS}
 * slots indexed by identity hash, shared by all threads (a hit only reads it). A slot refers to
 * its buffer weakly: it neither keeps a buffer alive nor matches another buffer, even one given
 * the memory of a collected buffer ({@link WeakReference#refersTo} compares identity). The
 * table is read and written without synchronization, on purpose: a slot is immutable but for
 * its referent, which a racing reader sees either set or {@code null} (then it calls JNI
 * again), never as another buffer; its address is a final field.
 */
final class DirectBuffers {
    /** Slots of the address memo (16 KiB of references); a power of two. */
    static final int MEMO_SLOTS = 4096;
    private static final Slot[] MEMO = new Slot[MEMO_SLOTS];

    /** A buffer seen recently, weakly, with the address of its index 0. */
    private static final class Slot extends WeakReference<ByteBuffer> {
        final long address;

        Slot(ByteBuffer buffer, long address) {
            super(buffer);
            this.address = address;
        }
    }

    private DirectBuffers() {
    }

    /**
     * Returns the address of {@code buffer}'s byte {@code offset} after checking that {@code
     * [offset, offset + length)} lies within the buffer's limit and that the buffer can be
     * registered (direct, writable).
     *
     * @throws NullPointerException      when {@code buffer} or {@code access} is null
     * @throws IllegalArgumentException  when the buffer is a heap buffer or a read-only view, or
     *                                   the range is empty; the message names the remedy
     * @throws IndexOutOfBoundsException when the range does not lie within {@code [0, limit)}
     */
    static long address(ByteBuffer buffer, int offset, int length, Set<Access> access) {
        Objects.requireNonNull(buffer, "buffer");
        Objects.requireNonNull(access, "access");
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("cannot register a heap ByteBuffer: the garbage"
                    + " collector moves its memory, so the NIC cannot be given its address;"
                    + " allocate it with ByteBuffer.allocateDirect (or map a file with"
                    + " FileChannel.map) and reuse it");
        }
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException("cannot register a read-only ByteBuffer: a"
                    + " registration of its memory may let the NIC write it (the cache hands out"
                    + " a registration with at least the rights asked for, possibly more, and"
                    + " the view promises its memory does not change through it); acquire the"
                    + " writable buffer it is a view of");
        }
        Objects.checkFromIndexSize(offset, length, buffer.limit());
        if (length == 0) {
            throw new IllegalArgumentException("nothing to register: the range of " + buffer
                    + " is empty (offset " + offset + ", length 0)");
        }
        return base(buffer) + offset;
    }

    /** The address of {@code buffer}'s index 0, from the memo or through JNI. */
    private static long base(ByteBuffer buffer) {
        int i = System.identityHashCode(buffer) & (MEMO_SLOTS - 1);
        Slot slot = MEMO[i];
        if (slot != null && slot.refersTo(buffer)) {
            return slot.address;
        }
        Pointer base = Native.getDirectBufferPointer(buffer);
        if (base == null) {
            throw new IllegalArgumentException("the JVM gives no native address for " + buffer
                    + " (JNI GetDirectBufferAddress returned NULL); use a buffer from"
                    + " ByteBuffer.allocateDirect or FileChannel.map");
        }
        long address = Pointer.nativeValue(base);
        MEMO[i] = new Slot(buffer, address);
        return address;
    }
}
