package org.regcache.ummu;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.regcache.api.Access;
import org.regcache.api.Registrar;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationException;

/**
 * The imitation NIC of the guest tests: each registration pins its range's pages as a NIC's
 * registration does, and the test reads back what the NIC would send ({@link PinnedPages}). A
 * registration is stale when the pages it holds are not those its range maps.
 *
 * <p>Thread-safe; counts registrations, remembers the live ones and any deregistration of an
 * unknown one.
 */
final class PagePinningRegistrar implements Registrar {
    final Set<Registration> live = ConcurrentHashMap.newKeySet();
    final Set<String> violations = ConcurrentHashMap.newKeySet();
    /** Registrations made, failed ones not counted. */
    final LongAdder registrations = new LongAdder();

    /**
     * Pins [address, address + length).
     *
     * @throws RegistrationException with errno EFAULT if part of the range is not mapped
     */
    @Override
    public Registration register(long address, long length, Set<Access> access)
            throws RegistrationException {
        PinnedRegistration registration =
                new PinnedRegistration(PinnedPages.pin(address, length), access);
        live.add(registration);
        registrations.increment();
        return registration;
    }

    @Override
    public void deregister(Registration registration) {
        if (!live.remove(registration)) {
            violations.add("double or unknown deregistration of " + registration);
            return;
        }
        ((PinnedRegistration) registration).pages.close();
    }

    /** A registration of the imitation NIC: the pages it pinned. */
    static final class PinnedRegistration implements Registration {
        final PinnedPages pages;
        private final Set<Access> access;

        PinnedRegistration(PinnedPages pages, Set<Access> access) {
            this.pages = pages;
            this.access = Set.copyOf(access);
        }

        @Override
        public long address() {
            return pages.address();
        }

        @Override
        public long length() {
            return pages.length();
        }

        @Override
        public int lkey() {
            return 0;
        }

        @Override
        public int rkey() {
            return 0;
        }

        @Override
        public Set<Access> access() {
            return access;
        }

        @Override
        public Object nativeRegistration() {
            return pages;
        }

        @Override
        public String toString() {
            return "PinnedRegistration{[0x" + Long.toHexString(address()) + ", +" + length()
                    + ")}";
        }
    }
}
