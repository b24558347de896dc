package org.regcache.api;

import java.util.concurrent.atomic.AtomicBoolean;

/** A handle of {@link UncachedRegistrationCache}: owns its registration alone. */
final class UncachedHandle implements RegistrationHandle {
    private final CountingRegistrar registrar;
    private final Registration registration;
    private final long address;
    private final long length;
    private final AtomicBoolean released = new AtomicBoolean();

    UncachedHandle(CountingRegistrar registrar, Registration registration, long address,
            long length) {
        this.registrar = registrar;
        this.registration = registration;
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
        if (released.get()) {
            throw new IllegalStateException("handle on [" + Long.toHexString(address) + ", +"
                    + length + ") was released; its registration is gone");
        }
        return registration;
    }

    @Override
    public void close() {
        if (!released.compareAndSet(false, true)) {
            throw new IllegalStateException("handle on [" + Long.toHexString(address) + ", +"
                    + length + ") released twice");
        }
        registrar.deregister(registration);
    }
}
