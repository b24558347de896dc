package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NativeErrorsTest {
    @Test
    void readsTheErrnoOurLibdisniAppends() {
        assertEquals(14, NativeErrors.errnoOf(
                "j2c::regMr: ibv_reg_mr failed: Bad address (errno 14)"));
        assertEquals(12, NativeErrors.errnoOf(
                "j2c::regMr: ibv_reg_mr failed: Cannot allocate memory (errno 12)\n"));
    }

    @Test
    void theErrnoSuffixWinsOverTheText() {
        assertEquals(11, NativeErrors.errnoOf("x: Bad address (errno 11)"));
    }

    @Test
    void mapsStrerrorTextsOfTheOriginalLibdisni() {
        assertEquals(12, NativeErrors.errnoOf(
                "j2c::regMr: ibv_reg_mr failed: Cannot allocate memory\n"));
        assertEquals(11, NativeErrors.errnoOf(
                "j2c::regMr: ibv_reg_mr failed: Resource temporarily unavailable\n"));
        assertEquals(19, NativeErrors.errnoOf(
                "j2c::createEventChannel: rdma_create_event_channel failed: No such device\n"));
        assertEquals(16, NativeErrors.errnoOf(
                "j2c::deregMr:  ibv_dereg_failed, error: Device or resource busy\n"));
    }

    @Test
    void messagesWithoutAnErrnoGiveZero() {
        assertEquals(0, NativeErrors.errnoOf("j2c::regMr: protection null"));
        assertEquals(0, NativeErrors.errnoOf("Trying to register memory with closed PD."));
        assertEquals(0, NativeErrors.errnoOf("x: Something unheard of"));
        assertEquals(0, NativeErrors.errnoOf(""));
        assertEquals(0, NativeErrors.errnoOf(null));
    }

    @Test
    void anAbsurdErrnoIsIgnored() {
        assertEquals(0, NativeErrors.errnoOf("x: y (errno 99999999999999999999)"));
    }

    @Test
    void cleanDropsTheOriginalTrailingNewline() {
        assertEquals("j2c::regMr: protection null", NativeErrors.clean("j2c::regMr: protection null\n"));
        assertEquals("(no message)", NativeErrors.clean(null));
    }
}
