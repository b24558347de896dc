package org.regcache.ummu;

import com.sun.jna.Structure;

/**
 * {@code struct ummunotify_event}, field for field (32 bytes). Used to derive the record size
 * and field offsets that {@link EventBuffer} reads without creating Structures on the hot path.
 * Public only because JNA reads the fields of a Structure reflectively; not part of the
 * supported API.
 */
@Structure.FieldOrder({"type", "flags", "hint_start", "hint_end", "user_cookie_counter"})
public final class EventStruct extends Structure {
    /** __u32 type: INVAL or LAST. */
    public int type;
    /** __u32 flags: FLAG_HINT. */
    public int flags;
    /** __u64 hint_start. */
    public long hint_start;
    /** __u64 hint_end. */
    public long hint_end;
    /** __u64 user_cookie_counter: the cookie (INVAL) or the counter (LAST). */
    public long user_cookie_counter;

    EventStruct() {
        super(ALIGN_GNUC);
    }

    int offsetOf(String field) {
        return fieldOffset(field);
    }
}
