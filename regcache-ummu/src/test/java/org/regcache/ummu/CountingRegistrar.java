package org.regcache.ummu;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.regcache.api.Access;
import org.regcache.api.Registrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationException;

/** A registrar over nothing that counts and remembers live registrations. */
class CountingRegistrar implements Registrar {
    final Set<Registration> live = ConcurrentHashMap.newKeySet();
    final AtomicInteger registers = new AtomicInteger();
    final AtomicInteger deregisters = new AtomicInteger();
    final Set<String> violations = ConcurrentHashMap.newKeySet();
    private final AtomicInteger keys = new AtomicInteger();
    /** Called with each new registration, to attach test data. */
    volatile java.util.function.Function<long[], Object> tag = range -> null;

    @Override
    public Registration register(long address, long length, Set<Access> access) {
        registers.incrementAndGet();
        TestRegistration r = new TestRegistration(address, length, access, keys.incrementAndGet(),
                tag.apply(new long[] {address, length}));
        live.add(r);
        return r;
    }

    @Override
    public void deregister(Registration registration) throws RegistrationException {
        deregisters.incrementAndGet();
        if (!live.remove(registration)) {
            violations.add("double or unknown deregistration of " + registration);
        }
    }

    /** A registration with a test-defined tag. */
    static final class TestRegistration implements Registration {
        final long address;
        final long length;
        final Set<Access> access;
        final int key;
        final Object tag;

        TestRegistration(long address, long length, Set<Access> access, int key, Object tag) {
            this.address = address;
            this.length = length;
            this.access = Set.copyOf(access);
            this.key = key;
            this.tag = tag;
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
            return key;
        }

        @Override
        public int rkey() {
            return key;
        }

        @Override
        public Set<Access> access() {
            return access;
        }

        @Override
        public Object nativeRegistration() {
            return tag;
        }

        @Override
        public String toString() {
            return "TestRegistration{" + key + ", [" + Long.toHexString(address) + ", +" + length
                    + ")}";
        }
    }
}
