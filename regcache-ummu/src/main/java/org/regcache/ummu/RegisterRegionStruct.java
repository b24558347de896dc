package org.regcache.ummu;

import com.sun.jna.Structure;

/**
 * {@code struct ummunotify_register_ioctl}, field for field (32 bytes). Public only because JNA
 * reads the fields of a Structure reflectively; not part of the supported API.
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

    RegisterRegionStruct() {
        super(ALIGN_GNUC);
    }

    RegisterRegionStruct(long start, long end, long cookie) {
        this();
        this.start = start;
        this.end = end;
        this.user_cookie = cookie;
    }
}
