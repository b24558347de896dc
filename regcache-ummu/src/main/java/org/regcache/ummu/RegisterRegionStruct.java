package org.regcache.ummu;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * {@code struct ummunotify_register_ioctl}, field for field (32 bytes). Public only because JNA
 * reads the fields of a Structure reflectively; not part of the supported API. The binding
 * does not build one per call: {@link #write} fills reusable native memory at the offsets this
 * layout defines (derived once, as {@link EventBuffer} does for events).
 */
@Structure.FieldOrder({"start", "end", "user_cookie", "flags", "reserved"})
public final class RegisterRegionStruct extends Structure {
    /** __u64 start: first address of the range. */
    public long start;
    /** __u64 end: exclusive end of the range. */
    public long end;
    /** __u64 user_cookie: reported in INVAL events, used to unregister. */
    public long user_cookie;
    /** __u32 flags: must be 0. */
    public int flags;
    /** __u32 reserved: must be 0. */
    public int reserved;

    /** Size of the structure in bytes. */
    static final int SIZE;
    private static final int START_OFFSET;
    private static final int END_OFFSET;
    private static final int COOKIE_OFFSET;
    private static final int FLAGS_OFFSET;
    private static final int RESERVED_OFFSET;

    static {
        RegisterRegionStruct layout = new RegisterRegionStruct();
        SIZE = layout.size();
        START_OFFSET = layout.fieldOffset("start");
        END_OFFSET = layout.fieldOffset("end");
        COOKIE_OFFSET = layout.fieldOffset("user_cookie");
        FLAGS_OFFSET = layout.fieldOffset("flags");
        RESERVED_OFFSET = layout.fieldOffset("reserved");
    }

    RegisterRegionStruct() {
        super(ALIGN_GNUC);
    }

    RegisterRegionStruct(long start, long end, long cookie) {
        this();
        this.start = start;
        this.end = end;
        this.user_cookie = cookie;
    }

    /** Writes a request for [start, end) under {@code cookie}, flags 0, into {@code memory}. */
    static void write(Pointer memory, long start, long end, long cookie) {
        memory.setLong(START_OFFSET, start);
        memory.setLong(END_OFFSET, end);
        memory.setLong(COOKIE_OFFSET, cookie);
        memory.setInt(FLAGS_OFFSET, 0);
        memory.setInt(RESERVED_OFFSET, 0);
    }
}
