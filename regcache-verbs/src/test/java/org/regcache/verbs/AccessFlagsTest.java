package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.regcache.api.Access;
import org.regcache.api.RegistrationException;

class AccessFlagsTest {
    // rdma-core's enum ibv_access_flags, which DiSNI's IbvMr constants must equal
    private static final int IBV_ACCESS_LOCAL_WRITE = 1;
    private static final int IBV_ACCESS_REMOTE_WRITE = 2;
    private static final int IBV_ACCESS_REMOTE_READ = 4;
    private static final int IBV_ACCESS_REMOTE_ATOMIC = 8;

    @Test
    void emptySetIsLocalReadOnly() throws RegistrationException {
        assertEquals(0, AccessFlags.toVerbs(EnumSet.noneOf(Access.class)));
    }

    @Test
    void eachRightMapsToItsVerbsFlag() throws RegistrationException {
        assertEquals(IBV_ACCESS_LOCAL_WRITE, AccessFlags.toVerbs(EnumSet.of(Access.LOCAL_WRITE)));
        assertEquals(IBV_ACCESS_REMOTE_READ, AccessFlags.toVerbs(EnumSet.of(Access.REMOTE_READ)));
        assertEquals(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
                AccessFlags.toVerbs(EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE)));
        assertEquals(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_ATOMIC,
                AccessFlags.toVerbs(EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_ATOMIC)));
    }

    @Test
    void allRightsCombine() throws RegistrationException {
        assertEquals(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ
                | IBV_ACCESS_REMOTE_ATOMIC, AccessFlags.toVerbs(EnumSet.allOf(Access.class)));
    }

    @Test
    void remoteReadNeedsNoLocalWrite() throws RegistrationException {
        assertEquals(IBV_ACCESS_REMOTE_READ, AccessFlags.toVerbs(EnumSet.of(Access.REMOTE_READ)));
    }

    @Test
    void remoteWriteWithoutLocalWriteIsRejected() {
        RegistrationException e = assertThrows(RegistrationException.class,
                () -> AccessFlags.toVerbs(EnumSet.of(Access.REMOTE_WRITE, Access.REMOTE_READ)));
        assertEquals(AccessFlags.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("REMOTE_WRITE requires LOCAL_WRITE"), e.getMessage());
    }

    @Test
    void remoteAtomicWithoutLocalWriteIsRejected() {
        RegistrationException e = assertThrows(RegistrationException.class,
                () -> AccessFlags.toVerbs(EnumSet.of(Access.REMOTE_ATOMIC)));
        assertEquals(AccessFlags.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("REMOTE_ATOMIC requires LOCAL_WRITE"), e.getMessage());
    }
}
