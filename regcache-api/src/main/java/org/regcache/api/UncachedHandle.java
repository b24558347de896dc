package org.regcache.api;

/** A handle of {@link UncachedRegistrationCache}: owns its registration alone. */
final class UncachedHandle extends ReleaseOnceHandle {
    private final CountingRegistrar registrar;
    private final Registration registration;

    UncachedHandle(CountingRegistrar registrar, Registration registration, long address,
            long length) {
        super(address, length);
        this.registrar = registrar;
        this.registration = registration;
    }

    @Override
    Registration liveRegistration() {
        return registration;
    }

    @Override
    void release() {
        registrar.deregister(registration);
    }
}
