package org.regcache.verbs;

import com.ibm.disni.verbs.IbvMr;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.regcache.api.Access;
import org.regcache.api.Registration;

/**
 * A memory region registered through DiSNI by a {@link DisniRegistrar}.
 *
 * <p>Immutable and thread-safe: the keys are the ones the device returned at registration;
 * {@link #nativeRegistration()} is DiSNI's {@link IbvMr} for the same region.
 */
public final class DisniRegistration implements Registration {
    private final DisniRegistrar owner;
    private final IbvMr mr;
    private final long address;
    private final long length;
    private final int lkey;
    private final int rkey;
    private final Set<Access> access;
    private final AtomicBoolean deregistered = new AtomicBoolean();

    DisniRegistration(DisniRegistrar owner, IbvMr mr, long address, long length,
            Set<Access> access) {
        this.owner = owner;
        this.mr = mr;
        this.address = address;
        this.length = length;
        this.lkey = mr.getLkey();
        this.rkey = mr.getRkey();
        this.access = access.isEmpty()
                ? Collections.emptySet()
                : Collections.unmodifiableSet(EnumSet.copyOf(access));
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
        return lkey;
    }

    @Override
    public int rkey() {
        return rkey;
    }

    @Override
    public Set<Access> access() {
        return access;
    }

    /** DiSNI's memory region; valid until the registration is deregistered. */
    @Override
    public IbvMr nativeRegistration() {
        return mr;
    }

    DisniRegistrar owner() {
        return owner;
    }

    /** Marks the registration deregistered; false if it already was. */
    boolean markDeregistered() {
        return deregistered.compareAndSet(false, true);
    }

    @Override
    public String toString() {
        return String.format("DisniRegistration[0x%x+%d, lkey=0x%x, rkey=0x%x, %s]",
                address, length, lkey(), rkey(), access);
    }
}
