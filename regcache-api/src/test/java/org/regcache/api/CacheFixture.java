package org.regcache.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Set;

/** Shared set-up of the cache tests: a fake registrar, a fake source, small limits. */
class CacheFixture {
    static final long PAGE = 4096;
    static final long MIB = 1 << 20;
    static final Set<Access> NONE = EnumSet.noneOf(Access.class);
    static final Set<Access> LOCAL_WRITE = EnumSet.of(Access.LOCAL_WRITE);
    static final Set<Access> RW = EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE,
            Access.REMOTE_READ);

    final FakeRegistrar registrar = new FakeRegistrar();
    final FakeInvalidationSource source = new FakeInvalidationSource();

    RegistrationCache cache(long maxPinnedBytes, long maxEntries) {
        return RegistrationCache.builder()
                .registrar(registrar)
                .invalidationSource(() -> source)
                .maxPinnedBytes(maxPinnedBytes)
                .maxEntries(maxEntries)
                .build();
    }

    RegistrationCache cache() {
        return cache(64 * MIB, 1024);
    }

    /** The memory of the range changes: the kernel notifies, then replaces the pages. */
    void unmap(long address, long length) {
        source.memoryChanged(address, length, () -> registrar.changeMemory(address, length));
    }

    void assertNoViolations() {
        assertEquals("[]", registrar.violations.toString(), "registrar misuse");
    }

    static FakeRegistrar.FakeRegistration fake(RegistrationHandle h) {
        return (FakeRegistrar.FakeRegistration) h.registration();
    }
}
