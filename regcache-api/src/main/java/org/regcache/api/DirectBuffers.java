package org.regcache.api;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
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
 */
final class DirectBuffers {
    private DirectBuffers() {
    }

    /**
     * Returns the address of {@code buffer}'s byte {@code offset} after checking that {@code
     * [offset, offset + length)} lies within the buffer's limit and that the buffer can be
     * registered with {@code access}.
     *
     * @throws NullPointerException      when {@code buffer} or {@code access} is null
     * @throws IllegalArgumentException  when the buffer is a heap buffer, is read-only and
     *                                   {@code access} lets the NIC write, or the range is empty;
     *                                   the message names the remedy
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
        if (buffer.isReadOnly() && letsTheNicWrite(access)) {
            throw new IllegalArgumentException("cannot register a read-only ByteBuffer with "
                    + access + ": the NIC would write memory the buffer promises not to change;"
                    + " acquire the writable buffer it is a view of, or ask only for read access"
                    + " (no rights, or REMOTE_READ)");
        }
        Objects.checkFromIndexSize(offset, length, buffer.limit());
        if (length == 0) {
            throw new IllegalArgumentException("nothing to register: the range of " + buffer
                    + " is empty (offset " + offset + ", length 0)");
        }
        Pointer base = Native.getDirectBufferPointer(buffer);
        if (base == null) {
            throw new IllegalArgumentException("the JVM gives no native address for " + buffer
                    + " (JNI GetDirectBufferAddress returned NULL); use a buffer from"
                    + " ByteBuffer.allocateDirect or FileChannel.map");
        }
        return Pointer.nativeValue(base) + offset;
    }

    private static boolean letsTheNicWrite(Set<Access> access) {
        return access.contains(Access.LOCAL_WRITE) || access.contains(Access.REMOTE_WRITE)
                || access.contains(Access.REMOTE_ATOMIC);
    }
}
