package org.regcache.ummu;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;

/**
 * A reusable native buffer for batched read() of {@code struct ummunotify_event} records, or for
 * records copied out of the event ring ({@link #putRecords}), read field by field at the offsets
 * of {@link EventStruct}: draining allocates nothing.
 * Not thread-safe: the source uses it under its drain lock.
 */
final class EventBuffer {
    final Memory memory;
    private final int capacity;
    /** {@link #memory} as a buffer, for bulk copies out of the ring. */
    private final ByteBuffer bytes;

    EventBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.capacity = capacity;
        this.memory = new Memory((long) capacity * UmmunotifyAbi.EVENT_SIZE);
        memory.clear();
        this.bytes = memory.getByteBuffer(0, memory.size());
    }

    int capacity() {
        return capacity;
    }

    long sizeInBytes() {
        return memory.size();
    }

    private static long at(int index, int fieldOffset) {
        return (long) index * UmmunotifyAbi.EVENT_SIZE + fieldOffset;
    }

    int type(int index) {
        return memory.getInt(at(index, UmmunotifyAbi.EVENT_TYPE_OFFSET));
    }

    int flags(int index) {
        return memory.getInt(at(index, UmmunotifyAbi.EVENT_FLAGS_OFFSET));
    }

    long hintStart(int index) {
        return memory.getLong(at(index, UmmunotifyAbi.EVENT_HINT_START_OFFSET));
    }

    long hintEnd(int index) {
        return memory.getLong(at(index, UmmunotifyAbi.EVENT_HINT_END_OFFSET));
    }

    /** The cookie of an INVAL record, the counter of a LAST record. */
    long cookieOrCounter(int index) {
        return memory.getLong(at(index, UmmunotifyAbi.EVENT_COOKIE_COUNTER_OFFSET));
    }

    /**
     * Copies {@code count} whole records from {@code source} (at byte {@code sourceOffset}) to
     * records {@code index}, {@code index + 1}, ...: plain loads, one bulk copy, no JNI.
     */
    void putRecords(int index, ByteBuffer source, int sourceOffset, int count) {
        bytes.put(index * UmmunotifyAbi.EVENT_SIZE, source, sourceOffset,
                count * UmmunotifyAbi.EVENT_SIZE);
    }

    /** Writes a record as the kernel would; for fake devices. */
    void put(int index, int type, int flags, long hintStart, long hintEnd, long cookieOrCounter) {
        memory.setInt(at(index, UmmunotifyAbi.EVENT_TYPE_OFFSET), type);
        memory.setInt(at(index, UmmunotifyAbi.EVENT_FLAGS_OFFSET), flags);
        memory.setLong(at(index, UmmunotifyAbi.EVENT_HINT_START_OFFSET), hintStart);
        memory.setLong(at(index, UmmunotifyAbi.EVENT_HINT_END_OFFSET), hintEnd);
        memory.setLong(at(index, UmmunotifyAbi.EVENT_COOKIE_COUNTER_OFFSET), cookieOrCounter);
    }
}
