package org.regcache.verbs;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.SVCDeregMr;
import com.ibm.disni.verbs.SVCRegMr;
import java.io.IOException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.regcache.api.Access;
import org.regcache.api.Registrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationException;

/**
 * A {@link Registrar} that registers memory in one DiSNI protection domain
 * ({@link IbvPd#regMr(long, int, int)} / {@link IbvMr#deregMr()}).
 *
 * <p><b>Length limit.</b> DiSNI passes the length of a registration as a Java {@code int}, so
 * one registration covers at most {@link #MAX_REGISTRATION_LENGTH} bytes (2 GiB - 1). Longer
 * ranges are rejected with a {@link RegistrationException} (errno EINVAL) naming the limit,
 * not split: one {@link Registration} has one lkey and one rkey, which several memory regions
 * could not share. Callers that need more register several ranges.
 *
 * <p><b>Access.</b> {@link Access} maps one to one to {@code IBV_ACCESS_LOCAL_WRITE},
 * {@code REMOTE_WRITE}, {@code REMOTE_READ} and {@code REMOTE_ATOMIC}; REMOTE_WRITE and
 * REMOTE_ATOMIC without LOCAL_WRITE are rejected up front (errno EINVAL), as the verbs do.
 *
 * <p><b>Errors.</b> A failure of the device or kernel becomes a {@link RegistrationException}
 * whose message is libdisni's (with the strerror text) and whose {@link
 * RegistrationException#errno()} is the errno it reports, for example ENOMEM or EAGAIN when
 * the pinned-memory limit is reached, EFAULT for an unmapped address.
 *
 * <p>Thread-safe: registrations and deregistrations may run concurrently from any thread.
 * The registrar does no caching.
 */
public final class DisniRegistrar implements Registrar {
    /** Largest length of one registration: DiSNI's {@code int} length. */
    public static final long MAX_REGISTRATION_LENGTH = Integer.MAX_VALUE;

    private final IbvPd pd;
    private final AtomicInteger live = new AtomicInteger();
    /** Read-held by registrations, write-held to retire the registrar before its PD is freed. */
    private final ReadWriteLock retirement = new ReentrantReadWriteLock();
    private boolean retired;

    /**
     * A registrar for memory regions of {@code pd}. The caller keeps the protection domain
     * open while registrations exist; {@link DisniProtectionDomain} does that for its own.
     *
     * @param pd DiSNI's protection domain; not owned (never freed) by the registrar
     */
    public DisniRegistrar(IbvPd pd) {
        this.pd = Objects.requireNonNull(pd, "pd");
    }

    /** {@return the protection domain registrations are made in} */
    public IbvPd protectionDomain() {
        return pd;
    }

    /** {@return the number of registrations made here and not yet deregistered} */
    public int liveRegistrations() {
        return live.get();
    }

    /**
     * Registers [address, address + length) with {@code access}.
     *
     * @throws IllegalArgumentException if length is below 1
     * @throws RegistrationException if length exceeds {@link #MAX_REGISTRATION_LENGTH}, the
     *     access set breaks the verbs rule, the protection domain was closed, or the device
     *     refuses
     */
    @Override
    public DisniRegistration register(long address, long length, Set<Access> access)
            throws RegistrationException {
        Objects.requireNonNull(access, "access");
        if (length < 1) {
            throw new IllegalArgumentException("registration length must be at least 1, got "
                    + length);
        }
        if (length > MAX_REGISTRATION_LENGTH) {
            throw new RegistrationException(String.format(
                    "cannot register %d bytes at 0x%x: DiSNI limits one registration to %d "
                    + "bytes (2 GiB - 1, an int length); register smaller ranges",
                    length, address, MAX_REGISTRATION_LENGTH), AccessFlags.EINVAL);
        }
        int flags = AccessFlags.toVerbs(access);
        retirement.readLock().lock();
        try {
            if (retired) {
                throw new RegistrationException("cannot register: the protection domain is "
                        + "closed", 0);
            }
            IbvMr mr = registerNative(address, (int) length, flags);
            live.incrementAndGet();
            return new DisniRegistration(this, mr, address, length, access);
        } finally {
            retirement.readLock().unlock();
        }
    }

    private IbvMr registerNative(long address, int length, int flags)
            throws RegistrationException {
        SVCRegMr call = null;
        try {
            call = pd.regMr(address, length, flags);
            IbvMr mr = call.execute().getMr();
            if (mr == null) {
                throw new RegistrationException(describe("ibv_reg_mr", address, length)
                        + ": DiSNI returned no memory region", 0);
            }
            return mr;
        } catch (IOException e) {
            throw failure("ibv_reg_mr", address, length, e);
        } finally {
            if (call != null) {
                call.free();
            }
        }
    }

    /**
     * Deregisters a registration made by this registrar. The registration is gone afterwards
     * even if the device reports an error.
     *
     * @throws IllegalArgumentException if the registration was not made by this registrar
     * @throws IllegalStateException if it was already deregistered
     * @throws RegistrationException if the device reports an error
     */
    @Override
    public void deregister(Registration registration) throws RegistrationException {
        Objects.requireNonNull(registration, "registration");
        if (!(registration instanceof DisniRegistration) 
                || ((DisniRegistration) registration).owner() != this) {
            throw new IllegalArgumentException("not a registration of this registrar: "
                    + registration);
        }
        DisniRegistration own = (DisniRegistration) registration;
        if (!own.markDeregistered()) {
            throw new IllegalStateException("already deregistered: " + own);
        }
        retirement.readLock().lock();
        try {
            live.decrementAndGet();
            deregisterNative(own);
        } finally {
            retirement.readLock().unlock();
        }
    }

    private void deregisterNative(DisniRegistration registration)
            throws RegistrationException {
        SVCDeregMr call = null;
        try {
            call = registration.nativeRegistration().deregMr();
            call.execute();
        } catch (IOException e) {
            throw failure("ibv_dereg_mr", registration.address(), registration.length(), e);
        } finally {
            if (call != null) {
                call.free();
            }
        }
    }

    /**
     * Refuses all further registrations so that the protection domain can be freed.
     *
     * @throws IllegalStateException, leaving the registrar usable, if registrations are live
     */
    void retire() {
        retirement.writeLock().lock();
        try {
            int remaining = live.get();
            if (remaining > 0) {
                throw new IllegalStateException(remaining + " registration(s) of this "
                        + "protection domain are still registered; deregister them first");
            }
            retired = true;
        } finally {
            retirement.writeLock().unlock();
        }
    }

    private static RegistrationException failure(String verb, long address, long length,
            IOException cause) {
        String reason = NativeErrors.clean(cause.getMessage());
        return new RegistrationException(describe(verb, address, length) + " failed: " + reason,
                NativeErrors.errnoOf(reason), cause);
    }

    private static String describe(String verb, long address, long length) {
        return String.format("%s of [0x%x, +%d)", verb, address, length);
    }
}
