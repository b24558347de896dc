package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.ibm.disni.util.NativeAffinity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** DiSNI's NativeAffinity: the calling thread's CPU mask, as the kernel reports it. */
class NativeAffinityGuestIT {
    @Test
    void theCallingThreadsAffinityIsReadAndSet() throws Throwable {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // a thread of its own, so that no other thread of the JVM is pinned
        Thread pinned = new Thread(() -> {
            try {
                long original = NativeAffinity.getAffinity();
                assertNotEquals(0L, original);
                assertNotEquals(-1L, original, "sched_getaffinity failed");
                assertEquals(Long.bitCount(original), Runtime.getRuntime().availableProcessors());

                long lowest = Long.lowestOneBit(original);
                NativeAffinity.setAffinity(lowest);
                assertEquals(lowest, NativeAffinity.getAffinity());
                assertEquals(Integer.toString(Long.numberOfTrailingZeros(lowest)),
                        cpusAllowedList(), "the kernel's view of this thread");

                NativeAffinity.setAffinity(original);
                assertEquals(original, NativeAffinity.getAffinity());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        pinned.start();
        pinned.join();
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    private static String cpusAllowedList() throws Exception {
        return Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
                .filter(line -> line.startsWith("Cpus_allowed_list:"))
                .map(line -> line.substring(line.indexOf(':') + 1).strip())
                .findFirst().orElseThrow();
    }
}
