package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.SVCDeregMr;
import com.ibm.disni.verbs.SVCRegMr;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;
import org.mockito.junit.jupiter.MockitoSettings;
import org.mockito.quality.Strictness;
import org.regcache.api.Access;
import org.regcache.api.Registration;
import org.regcache.api.RegistrationException;

@ExtendWith(MockitoExtension.class)
@MockitoSettings(strictness = Strictness.LENIENT)
class DisniRegistrarTest {
    private static final long ADDRESS = 0x7f00_1234_0000L;
    private static final int LOCAL_WRITE = 1;
    private static final int REMOTE_WRITE = 2;
    private static final int REMOTE_READ = 4;

    @Mock private IbvPd pd;
    @Mock private SVCRegMr regCall;
    @Mock private IbvMr mr;
    @Mock private SVCDeregMr deregCall;

    private DisniRegistrar registrar;

    @BeforeEach
    void wireDisni() throws IOException {
        when(pd.regMr(anyLong(), anyInt(), anyInt())).thenReturn(regCall);
        when(regCall.execute()).thenReturn(regCall);
        when(regCall.getMr()).thenReturn(mr);
        when(mr.getLkey()).thenReturn(0x1234);
        when(mr.getRkey()).thenReturn(0x5678);
        when(mr.deregMr()).thenReturn(deregCall);
        when(deregCall.execute()).thenReturn(deregCall);
        registrar = new DisniRegistrar(pd);
    }

    @Test
    void registerPassesRangeAndFlagsToDisniAndExposesTheKeys() throws Exception {
        Set<Access> access = EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE,
                Access.REMOTE_READ);

        DisniRegistration registration = registrar.register(ADDRESS, 8192, access);

        verify(pd).regMr(ADDRESS, 8192, LOCAL_WRITE | REMOTE_WRITE | REMOTE_READ);
        verify(regCall).free();
        assertEquals(ADDRESS, registration.address());
        assertEquals(8192, registration.length());
        assertEquals(0x1234, registration.lkey());
        assertEquals(0x5678, registration.rkey());
        assertEquals(access, registration.access());
        assertSame(mr, registration.nativeRegistration());
        assertEquals(1, registrar.liveRegistrations());
    }

    @Test
    void theRegistrationKeepsItsOwnUnmodifiableAccessSet() throws Exception {
        Set<Access> access = EnumSet.of(Access.LOCAL_WRITE);
        DisniRegistration registration = registrar.register(ADDRESS, 1, access);

        access.add(Access.REMOTE_READ);

        assertEquals(EnumSet.of(Access.LOCAL_WRITE), registration.access());
        assertThrows(UnsupportedOperationException.class,
                () -> registration.access().add(Access.REMOTE_READ));
    }

    @Test
    void anEmptyAccessSetRegistersForLocalReadOnly() throws Exception {
        DisniRegistration registration =
                registrar.register(ADDRESS, 4096, EnumSet.noneOf(Access.class));

        verify(pd).regMr(ADDRESS, 4096, 0);
        assertTrue(registration.access().isEmpty());
    }

    @Test
    void theLargestIntLengthIsPassedThrough() throws Exception {
        registrar.register(ADDRESS, DisniRegistrar.MAX_REGISTRATION_LENGTH,
                EnumSet.of(Access.LOCAL_WRITE));

        verify(pd).regMr(ADDRESS, Integer.MAX_VALUE, LOCAL_WRITE);
    }

    @Test
    void lengthsBeyondDisnisIntLimitAreRejectedWithoutTouchingTheDevice() {
        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(ADDRESS, 1L << 31, EnumSet.of(Access.LOCAL_WRITE)));

        assertEquals(AccessFlags.EINVAL, e.errno());
        assertFalse(e.isResourceExhausted());
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
        assertTrue(e.getMessage().contains("2 GiB"), e.getMessage());
        verifyNoInteractions(pd);
    }

    @Test
    void lengthsBelowOneViolateTheContract() {
        assertThrows(IllegalArgumentException.class,
                () -> registrar.register(ADDRESS, 0, EnumSet.of(Access.LOCAL_WRITE)));
        assertThrows(IllegalArgumentException.class,
                () -> registrar.register(ADDRESS, -4096, EnumSet.of(Access.LOCAL_WRITE)));
        verifyNoInteractions(pd);
    }

    @Test
    void remoteWriteWithoutLocalWriteIsRejectedBeforeTheDevice() {
        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(ADDRESS, 4096, EnumSet.of(Access.REMOTE_WRITE)));

        assertEquals(AccessFlags.EINVAL, e.errno());
        verifyNoInteractions(pd);
    }

    @Test
    void deviceErrorsBecomeRegistrationExceptionsWithTheirErrno() throws Exception {
        IOException cause = new IOException(
                "j2c::regMr: ibv_reg_mr failed: Cannot allocate memory (errno 12)");
        when(regCall.execute()).thenThrow(cause);

        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE)));

        assertEquals(12, e.errno());
        assertTrue(e.isResourceExhausted());
        assertSame(cause, e.getCause());
        assertTrue(e.getMessage().contains("Cannot allocate memory"), e.getMessage());
        assertTrue(e.getMessage().contains("0x7f0012340000"), e.getMessage());
        verify(regCall).free();
        assertEquals(0, registrar.liveRegistrations());
    }

    @Test
    void theOriginalLibdisniMessagesAreMappedByText() throws Exception {
        when(regCall.execute()).thenThrow(new IOException(
                "j2c::regMr: ibv_reg_mr failed: Resource temporarily unavailable\n"));

        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE)));

        assertEquals(RegistrationException.EAGAIN, e.errno());
        assertFalse(e.getMessage().endsWith("\n"));
    }

    @Test
    void javaSideFailuresHaveNoErrno() throws Exception {
        when(regCall.execute()).thenThrow(
                new IOException("Trying to register memory with closed PD."));

        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE)));

        assertEquals(0, e.errno());
        assertTrue(e.getMessage().contains("closed PD"), e.getMessage());
    }

    @Test
    void aFailureToPrepareTheCallIsReportedToo() throws Exception {
        when(pd.regMr(anyLong(), anyInt(), anyInt())).thenThrow(new IOException("no buffer"));

        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE)));

        assertTrue(e.getMessage().contains("no buffer"), e.getMessage());
        verify(regCall, never()).free();
    }

    @Test
    void deregisterDeregistersTheMemoryRegionOnce() throws Exception {
        Registration registration = registrar.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE));

        registrar.deregister(registration);

        verify(deregCall).execute();
        verify(deregCall).free();
        assertEquals(0, registrar.liveRegistrations());
        assertThrows(IllegalStateException.class, () -> registrar.deregister(registration));
        verify(mr, times(1)).deregMr();
    }

    @Test
    void aFailedDeregistrationStillEndsTheRegistration() throws Exception {
        Registration registration = registrar.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE));
        when(deregCall.execute()).thenThrow(new IOException(
                "j2c::deregMr: ibv_dereg_mr failed: Device or resource busy (errno 16)"));

        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.deregister(registration));

        assertEquals(16, e.errno());
        assertTrue(e.getMessage().startsWith("ibv_dereg_mr of [0x7f0012340000, +4096)"),
                e.getMessage());
        verify(deregCall).free();
        assertEquals(0, registrar.liveRegistrations());
        assertThrows(IllegalStateException.class, () -> registrar.deregister(registration));
    }

    @Test
    void registrationsOfOtherRegistrarsAreRefused() throws Exception {
        DisniRegistrar other = new DisniRegistrar(pd);
        Registration foreign = other.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE));

        assertThrows(IllegalArgumentException.class, () -> registrar.deregister(foreign));
        assertThrows(IllegalArgumentException.class,
                () -> registrar.deregister(mock(Registration.class)));
        verify(mr, never()).deregMr();
        assertEquals(1, other.liveRegistrations());
    }

    @Test
    void retiringIsRefusedWhileRegistrationsAreLive() throws Exception {
        Registration registration = registrar.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE));

        IllegalStateException e = assertThrows(IllegalStateException.class, registrar::retire);
        assertTrue(e.getMessage().startsWith("1 registration(s)"), e.getMessage());

        registrar.deregister(registration);
        registrar.retire();
    }

    @Test
    void aRetiredRegistrarRegistersNothing() throws Exception {
        registrar.retire();

        RegistrationException e = assertThrows(RegistrationException.class,
                () -> registrar.register(ADDRESS, 4096, EnumSet.of(Access.LOCAL_WRITE)));

        assertTrue(e.getMessage().contains("protection domain is closed"), e.getMessage());
        verifyNoInteractions(pd);
    }

    @Test
    void concurrentRegistrationsAreCountedExactly() throws Exception {
        int threads = 4;
        int perThread = 200;
        Thread[] workers = new Thread[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < perThread; i++) {
                        registrar.deregister(registrar.register(ADDRESS, 4096,
                                EnumSet.of(Access.LOCAL_WRITE)));
                    }
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            });
            workers[t].start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        synchronized (failure) {
            if (failure[0] != null) {
                throw new AssertionError(failure[0]);
            }
        }
        assertEquals(0, registrar.liveRegistrations());
        verify(pd, times(threads * perThread)).regMr(ADDRESS, 4096, LOCAL_WRITE);
        verify(deregCall, times(threads * perThread)).execute();
    }
}
