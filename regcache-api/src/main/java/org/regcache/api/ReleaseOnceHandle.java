package org.regcache.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What every {@link RegistrationHandle} of this package shares: the range asked for, and a
 * release that happens exactly once however many threads race to close the handle (the loser,
 * and any later caller, gets an {@link IllegalStateException} and releases nothing).
 */
abstract class ReleaseOnceHandle implements RegistrationHandle {
    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup()
                    .findVarHandle(ReleaseOnceHandle.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long address;
    private final long length;
    private volatile boolean released;

    ReleaseOnceHandle(long address, long length) {
        this.address = address;
        this.length = length;
    }

    /** The registration behind the handle; only called while the handle is live. */
    abstract Registration liveRegistration();

    /** Gives up the handle's claim; called exactly once, by the first {@link #close()}. */
    abstract void release();

    @Override
    public final long address() {
        return address;
    }

    @Override
    public final long length() {
        return length;
    }

    @Override
    public final int lkey() {
        return registration().lkey();
    }

    @Override
    public final int rkey() {
        return registration().rkey();
    }

    @Override
    public final Registration registration() {
        if (released) {
            throw new IllegalStateException(describeRange()
                    + " was released; its keys may be stale");
        }
        return liveRegistration();
    }

    @Override
    public final void close() {
        if (!RELEASED.compareAndSet(this, false, true)) {
            throw new IllegalStateException(describeRange() + " released twice");
        }
        release();
    }

    final boolean isReleased() {
        return released;
    }

    private String describeRange() {
        return "handle on [" + Long.toHexString(address) + ", +" + length + ")";
    }
}
