package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The recipients of device cookies around a REGISTER in flight, and what is parked when. */
class WatchTableTest {
    static final long A = 0x10000;
    static final long B = 0x20000;

    @Test
    void theRecipientIsKnownFromTheReservationOn() {
        WatchTable table = new WatchTable(4);
        long device = table.reserve(7, A, B);
        assertEquals(7L, table.recipient(device), "before REGISTER returned");
        assertEquals(List.of(), table.registered(7, device));
        assertEquals(7L, table.recipient(device));
    }

    @Test
    void aFailedRegistrationLeavesNoRecipientAndNoWatch() {
        WatchTable table = new WatchTable(4);
        long device = table.reserve(7, A, B);
        table.registrationFailed(7, device);
        assertNull(table.recipient(device));
        assertNull(table.release(7), "not watched");
        assertEquals(0, table.parked());
    }

    @Test
    void aWatchReleasedWhileRegisteringIsParkedOnlyOnceRegistered() {
        WatchTable table = new WatchTable(4);
        long device = table.reserve(7, A, B);
        assertEquals(List.of(), table.release(7), "nothing to unregister yet");
        assertNull(table.recipient(device), "its events concern nobody");
        assertEquals(0, table.parked(), "not adoptable before the kernel has it");
        assertFalse(table.adopt(8, A, B));
        assertEquals(List.of(), table.registered(7, device));
        assertEquals(1, table.parked());
        assertTrue(table.adopt(8, A, B));
        assertEquals(8L, table.recipient(device));
    }

    @Test
    void aWatchReleasedWhileRegisteringIsUnregisteredOnceRegisteredWhenNothingIsKept() {
        WatchTable table = new WatchTable(0);
        long device = table.reserve(7, A, B);
        assertEquals(List.of(), table.release(7));
        assertEquals(List.of(device), table.registered(7, device));
    }

    @Test
    void aWatchReleasedWhileItsRegistrationFailsIsSimplyForgotten() {
        WatchTable table = new WatchTable(4);
        long device = table.reserve(7, A, B);
        table.release(7);
        table.registrationFailed(7, device);
        assertEquals(0, table.parked());
        long next = table.reserve(7, A, B); // the cache gives the cookie again
        assertEquals(List.of(), table.registered(7, next));
        assertEquals(7L, table.recipient(next));
    }
}
