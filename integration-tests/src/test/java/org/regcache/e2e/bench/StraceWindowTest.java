package org.regcache.e2e.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StraceWindowTest {
    private static final String DEVICE = "/dev/ummunotify";
    private static final String BEGIN = "/tmp/r/window-begin.marker";
    private static final String END = "/tmp/r/window-end.marker";
    private static final String OPEN_BEGIN = "101 openat(AT_FDCWD, \"" + BEGIN
            + "\", O_RDONLY) = -1 ENOENT (No such file or directory)";
    private static final String OPEN_END = "101 openat(AT_FDCWD, \"" + END
            + "\", O_RDONLY) = -1 ENOENT (No such file or directory)";
    private static final String READ = "101 read(7</dev/ummunotify>, \"\\1\\0\", 4096) = 16";

    @Test
    void onlyCallsBetweenTheMarkersCount() {
        List<String> log = List.of(
                "101 openat(AT_FDCWD, \"/dev/ummunotify\", O_RDONLY) = 7</dev/ummunotify>",
                READ,
                OPEN_BEGIN,
                READ,
                "101 ioctl(7</dev/ummunotify>, _IOC(_IOC_WRITE, 0xb5, 0x2, 0x28), 0x7f) = 0",
                READ,
                OPEN_END,
                READ,
                "101 close(7</dev/ummunotify>) = 0");
        assertEquals(Map.of("read", 2L, "ioctl", 1L),
                StraceWindow.callsNaming(log, DEVICE, BEGIN, END));
    }

    @Test
    void callsOnOtherFilesAndSignalsDoNotCount() {
        List<String> log = List.of(OPEN_BEGIN,
                "101 read(8</dev/ummunotify-not>, \"\", 1) = 0",
                "101 ioctl(9</dev/infiniband/uverbs0>, RDMA_VERBS_IOCTL, 0x7ffc) = 0",
                "102 write(1</tmp/ummunotify.log>, \"/dev/ummunotify\", 15) = 15",
                "103 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x7f} ---",
                "103 +++ exited with 0 +++",
                OPEN_END);
        assertEquals(Map.of(), StraceWindow.callsNaming(log, DEVICE, BEGIN, END));
    }

    @Test
    void aCallSplitByAnotherThreadCountsOnce() {
        List<String> log = List.of(OPEN_BEGIN,
                "101 read(7</dev/ummunotify>,  <unfinished ...>",
                "102 futex(0x7f, FUTEX_WAKE_PRIVATE, 1) = 0",
                "101 <... read resumed>\"\\1\", 4096) = 16",
                "102 poll([{fd=7</dev/ummunotify>, events=POLLIN}], 1, 0 <unfinished ...>",
                "101 futex(0x7f, FUTEX_WAIT_PRIVATE, 0, NULL) = 0",
                "102 <... poll resumed>) = 1 ([{fd=7</dev/ummunotify>, revents=POLLIN}])",
                OPEN_END);
        assertEquals(Map.of("read", 1L, "poll", 1L),
                StraceWindow.callsNaming(log, DEVICE, BEGIN, END));
    }

    @Test
    void aCallStartedBeforeTheWindowAndEndingInItCounts() {
        List<String> log = List.of(
                "102 read(7</dev/ummunotify>,  <unfinished ...>",
                OPEN_BEGIN,
                "102 <... read resumed>\"\\1\", 4096) = 16",
                "102 read(7</dev/ummunotify>,  <unfinished ...>",
                OPEN_END,
                "102 <... read resumed>\"\\1\", 4096) = 16");
        assertEquals(Map.of("read", 2L), StraceWindow.callsNaming(log, DEVICE, BEGIN, END));
    }

    @Test
    void withoutBothMarkersThereIsNoCount() {
        assertThrows(IllegalArgumentException.class,
                () -> StraceWindow.callsNaming(List.of(READ, OPEN_END), DEVICE, BEGIN, END));
        assertThrows(IllegalArgumentException.class,
                () -> StraceWindow.callsNaming(List.of(OPEN_BEGIN, READ), DEVICE, BEGIN, END));
        assertThrows(IllegalArgumentException.class, () -> StraceWindow.callsNaming(
                List.of(OPEN_END, READ, OPEN_BEGIN), DEVICE, BEGIN, END));
    }

    @Test
    void aLogThatNeverNamesTheDeviceIsToldApart() {
        assertTrue(StraceWindow.anyNaming(List.of(READ, OPEN_BEGIN, OPEN_END), DEVICE));
        assertFalse(StraceWindow.anyNaming(List.of(
                "101 openat(AT_FDCWD, \"/dev/ummunotify\", O_RDONLY) = 7", "101 read(7, \"\", 1)"
                        + " = 0", OPEN_BEGIN, OPEN_END), DEVICE));
    }

    @Test
    void theFileIsRecognisedWithOneOrTwoYs() {
        assertTrue(StraceWindow.namesFile("read(7</dev/ummunotify>, ...", DEVICE));
        assertTrue(StraceWindow.namesFile("read(7</dev/ummunotify<char 10:123>>, ...", DEVICE));
        assertFalse(StraceWindow.namesFile("openat(AT_FDCWD, \"/dev/ummunotify\", 0) = -1",
                DEVICE));
        assertFalse(StraceWindow.namesFile("read(7</dev/ummunotify2>, ...", DEVICE));
    }
}
