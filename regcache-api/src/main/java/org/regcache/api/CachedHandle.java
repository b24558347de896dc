package org.regcache.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A {@link RegistrationHandle} on a {@link CacheEntry}; released exactly once. */
final class CachedHandle implements RegistrationHandle {
    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup()
                    .findVarHandle(CachedHandle.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CachingRegistrationCache cache;
    private final CacheEntry entry;
    private final long address;
    private final long length;
    private volatile boolean released;

    CachedHandle(CachingRegistrationCache cache, CacheEntry entry, long address, long length) {
        this.cache = cache;
        this.entry = entry;
        this.address = address;
        this.length = length;
    }

    @Override
    public long address() {
        return address;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public int lkey() {
        return registration().lkey();
    }

    @Override
    public int rkey() {
        return registration().rkey();
    }

    @Override
    public Registration registration() {
        if (released) {
            throw new IllegalStateException("handle on [" + Long.toHexString(address) + ", +"
                    + length + ") was released; its keys may be stale");
        }
        return entry.registration;
    }

    @Override
    public void close() {
        if (!RELEASED.compareAndSet(this, false, true)) {
            throw new IllegalStateException("handle on [" + Long.toHexString(address) + ", +"
                    + length + ") released twice");
        }
        cache.release(entry);
    }

    @Override
    public String toString() {
        return "RegistrationHandle{[" + Long.toHexString(address) + ", +" + length + "), "
                + entry + (released ? ", released}" : "}");
    }
}
