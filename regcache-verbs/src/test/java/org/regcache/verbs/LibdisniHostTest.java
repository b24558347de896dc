package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.ibm.disni.util.NativeAffinity;
import com.ibm.disni.verbs.RdmaCm;
import com.ibm.disni.verbs.impl.NativeDispatcher;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * libdisni's contract where no RDMA device is involved: exported symbols, the start-up
 * handshake and the NULL-handle conventions of every entry point that has them.
 */
class LibdisniHostTest {
    private static final Path LIBRARY = Path.of(System.getProperty("java.library.path")
            .split(":")[0], System.mapLibraryName(DisniNativeLibrary.NAME));

    private static NativeDispatcher dispatcher;

    @BeforeAll
    static void createDispatcher() throws Exception {
        Constructor<NativeDispatcher> constructor = NativeDispatcher.class.getDeclaredConstructor();
        constructor.setAccessible(true);
        dispatcher = constructor.newInstance(); // runs DiSNI's handshake, fails on a bad version
    }

    @Test
    void exportsExactlyTheNativeMethodsDisniDeclares() throws Exception {
        Set<String> expected = new TreeSet<>();
        for (Class<?> type : new Class<?>[] {NativeDispatcher.class, NativeAffinity.class}) {
            for (Method method : type.getDeclaredMethods()) {
                if (Modifier.isNative(method.getModifiers())) {
                    expected.add("Java_" + mangle(type.getName()) + "_" + mangle(method.getName()));
                }
            }
        }
        Process nm = new ProcessBuilder("nm", "-D", "--defined-only", LIBRARY.toString())
                .redirectErrorStream(true).start();
        String output = new String(nm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, nm.waitFor(), output);
        Set<String> exported = output.lines()
                .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                .collect(Collectors.toCollection(TreeSet::new));

        assertEquals(50, expected.size());
        assertEquals(expected, exported, "dynamic symbols of " + LIBRARY);
    }

    /** JNI short-name mangling for the ASCII names DiSNI uses. */
    private static String mangle(String name) {
        return name.replace("_", "_1").replace('.', '_');
    }

    @Test
    void handshakeReportsRdmaCore44LayoutsOnX8664() {
        assumeTrue(System.getProperty("os.arch").equals("amd64"), "layouts differ by ABI");
        assertEquals(32, dispatcher._getVersion());
        assertEquals(16, dispatcher._getSockAddrInSize());
        assertEquals(32, dispatcher._getIbvRecvWRSize());
        assertEquals(128, dispatcher._getIbvSendWRSize());
        assertEquals(48, dispatcher._getIbvWCSize());
        assertEquals(16, dispatcher._getIbvSgeSize());
        assertEquals(40, dispatcher._getRemoteAddressOffset());
        assertEquals(48, dispatcher._getRKeyOffset());
    }

    @Test
    void cmEventsAreAcknowledgedNatively() {
        assertEquals(0, dispatcher._ackCmEvent(4));
    }

    @Test
    void throwingEntryPointsRejectNullHandles() {
        NativeDispatcher d = dispatcher;
        assertNullRejected("j2c::createId: cm_channel is null",
                () -> d._createId(0, RdmaCm.RDMA_PS_TCP));
        assertNullRejected("j2c::createQP: cm_listen_id or protection or cq null",
                () -> d._createQP(0, 0, 0, 0, 2, 1, 1, 0));
        assertNullRejected("j2c::bind: cm_listen_id null", () -> d._bindAddr(0, 0));
        assertNullRejected("j2c::listen: cm_listen_id null", () -> d._listen(0, 1));
        assertNullRejected("j2c::resolveAddr: cm_listen_id null",
                () -> d._resolveAddr(0, 0, 0, 1000));
        assertNullRejected("j2c::resolveRoute: cm_listen_id null", () -> d._resolveRoute(0, 1000));
        assertNullRejected("j2c::connect: cm_listen_id null", () -> d._connect(0, 0, 0, 0, (byte) 0));
        assertNullRejected("j2c::accept: cm_listen_id null", () -> d._accept(0, 0, 0));
        assertNullRejected("j2c::disconnect: cm_listen_id null", () -> d._disconnect(0));
        assertNullRejected("j2c::getContext: cm_listen_id null", () -> d._getContext(0));
        assertNullRejected("j2c::allocPd: context null", () -> d._allocPd(0));
        assertNullRejected("j2c::createCompChannel: context null", () -> d._createCompChannel(0));
        assertNullRejected("j2c::createCQ: context or comp_channel null",
                () -> d._createCQ(0, 0, 16, 0));
        assertNullRejected("j2c::modify_qp: queuepair null", () -> d._modifyQP(0, 0));
        assertNullRejected("j2c::regMr: protection null", () -> d._regMr(0, 0, 1, 0, 0, 0, 0));
        assertNullRejected("j2c::expPrefetchMr: mr null", () -> d._expPrefetchMr(0, 0, 1));
        assertNullRejected("j2c::deregMr: mr null", () -> d._deregMr(0));
        assertNullRejected("j2c::post_send: queuepair null", () -> d._postSend(0, 0));
        assertNullRejected("j2c::post_recv: queuepair null", () -> d._postRecv(0, 0));
        assertNullRejected("j2c::getCqEvent: comp_channel null", () -> d._getCqEvent(0, 0));
        assertNullRejected("j2c::pollCQ: completionqueue null", () -> d._pollCQ(0, 1, 0));
        assertNullRejected("j2c::reqNotify: completionqueue null", () -> d._reqNotifyCQ(0, 0));
        assertNullRejected("j2c::getQpNum: failed, ibv_qp null", () -> d._getQpNum(0));
        assertNullRejected("j2c::getContextFd: failed, ibv_context null", () -> d._getContextFd(0));
        assertNullRejected("j2c::getContextNumCompVectors: failed, ibv_context null",
                () -> d._getContextNumCompVectors(0));
        assertNullRejected("j2c::getPdHandle: failed, pd null", () -> d._getPdHandle(0));
    }

    private static void assertNullRejected(String message, Executable call) {
        IOException e = assertThrows(IOException.class, call, message);
        assertEquals(message, e.getMessage());
    }

    @Test
    void statusEntryPointsReturnMinusOneForNullHandles() {
        NativeDispatcher d = dispatcher;
        assertEquals(-1, d._getCmEvent(0, 0, 0, 0));
        assertEquals(-1, d._destroyEventChannel(0));
        assertEquals(-1, d._destroyCmId(0));
        assertEquals(-1, d._destroyQP(0));
        assertEquals(-1, d._destroyEp(0));
        assertEquals(-1, d._getSrcAddr(0, 0));
        assertEquals(-1, d._getDstAddr(0, 0));
        assertEquals(-1, d._queryOdpSupport(0));
        assertEquals(-1, d._ackCqEvent(0, 1));
        assertEquals(-1, d._destroyCompChannel(0));
        assertEquals(-1, d._deallocPd(0));
        assertEquals(-1, d._destroyCQ(0));
    }
}
