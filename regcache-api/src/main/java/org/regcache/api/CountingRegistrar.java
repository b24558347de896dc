package org.regcache.api;

import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caches' only way to the {@link Registrar}: counts registrations and pinned bytes, and
 * turns deregistration failures into a log line (the registration is gone either way, and the
 * caller of a release cannot do anything about it).
 */
final class CountingRegistrar {
    private static final Logger LOG = LoggerFactory.getLogger(CountingRegistrar.class);

    private final Registrar registrar;
    private final StatsRecorder stats;

    CountingRegistrar(Registrar registrar, StatsRecorder stats) {
        this.registrar = registrar;
        this.stats = stats;
    }

    /**
     * Registers and checks the result: a registration that does not cover the range or lacks a
     * requested right is a registrar bug; it is deregistered and reported.
     */
    Registration register(long address, long length, Set<Access> access)
            throws RegistrationException {
        Registration registration = registrar.register(address, length, access);
        if (registration == null) {
            throw new IllegalStateException("registrar " + registrar + " returned null for ["
                    + Long.toHexString(address) + ", +" + length + ")");
        }
        stats.registered(registration.length());
        if (!registration.covers(address, length)
                || !AccessMask.satisfies(AccessMask.of(registration.access()),
                        AccessMask.of(access))) {
            deregister(registration);
            throw new RegistrationException("registrar " + registrar + " returned "
                    + describe(registration) + " for a request of [" + Long.toHexString(address)
                    + ", +" + length + ") with " + access + ": it must cover the range with"
                    + " at least the requested rights", 0);
        }
        return registration;
    }

    private static String describe(Registration r) {
        return "[" + Long.toHexString(r.address()) + ", +" + r.length() + ") with " + r.access();
    }

    /** Deregisters; never throws. Must be called exactly once per registration. */
    void deregister(Registration registration) {
        try {
            registrar.deregister(registration);
        } catch (RegistrationException | RuntimeException e) {
            LOG.warn("deregistration of [{}, +{}) failed (counted as deregistered): {}",
                    Long.toHexString(registration.address()), registration.length(), e.toString());
        } finally {
            stats.deregistered(registration.length());
        }
    }
}
