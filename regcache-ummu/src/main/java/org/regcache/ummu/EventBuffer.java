package org.regcache.ummu;

import com.sun.jna.Memory;

/**
 * A reusable native buffer for batched read() of {@code struct ummunotify_event} records, read
 * field by field at the offsets of {@link EventStruct}: draining allocates nothing.
 * Not thread-safe: the source uses it under its drain lock.
 */
final class EventBuffer {
    final Memory memory;
    private final int capacity;

    EventBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.capacity = capacity;
        this.memory = new Memory((long) capacity * UmmunotifyAbi.EVENT_SIZE);
        memory.clear();
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

    /** Writes a record as the kernel would; for fake devices. */
    void put(int index, int type, int flags, long hintStart, long hintEnd, long cookieOrCounter) {
        memory.setInt(at(index, UmmunotifyAbi.EVENT_TYPE_OFFSET), type);
        memory.setInt(at(index, UmmunotifyAbi.EVENT_FLAGS_OFFSET), flags);
        memory.setLong(at(index, UmmunotifyAbi.EVENT_HINT_START_OFFSET), hintStart);
        memory.setLong(at(index, UmmunotifyAbi.EVENT_HINT_END_OFFSET), hintEnd);
        memory.setLong(at(index, UmmunotifyAbi.EVENT_COOKIE_COUNTER_OFFSET), cookieOrCounter);
    }
}
