package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.regcache.api.InvalidationSink;

/**
 * A Throwable that escapes the sink in the middle of a drain (an OutOfMemoryError in the cache's
 * bookkeeping, say) must not lose the rest of the events the drain had taken from the kernel:
 * once the ring's tail is published, or read() returned them, the kernel will not give them
 * again. The next drain must make up for them with {@link InvalidationSink#invalidatedAll()}.
 */
class SinkFailureTest {
    static final long PAGE = 4096;
    static final long BASE = 0x7f5700000000L;
    static final int EVENTS_PER_READ = UmmunotifyInvalidationSource.EVENTS_PER_READ;

    /** Records what it is told; its first {@link #invalidated} throws {@link Failure}. */
    static final class FailingOnceSink implements InvalidationSink {
        final List<Long> invalidated = new ArrayList<>();
        int invalidatedAll;
        boolean failed;

        @Override
        public void invalidated(long cookie) {
            if (!failed) {
                failed = true;
                throw new Failure();
            }
            invalidated.add(cookie);
        }

        @Override
        public void invalidatedAll() {
            invalidatedAll++;
        }

        @Override
        public void drainCompleted() {
        }
    }

    /** An Error, as the source catches RuntimeExceptions from the sink itself. */
    static final class Failure extends Error {
        private static final long serialVersionUID = 1L;
    }

    /**
     * More watched pages than one read() returns (the source reads {@value #EVENTS_PER_READ} at
     * a time), all invalidated at once; the first delivery throws. The next drain must tell the
     * sink that everything is stale: the rest of the batch the failed drain had taken (read(),
     * or consumed from the ring) is gone from the kernel. Mutant: {@code lostTrack} reset at the
     * start of each drain, as before: the next drain reads the rest, up to the LAST, and reports
     * nothing for the lost ones.
     */
    @ParameterizedTest(name = "ring entries {0}")
    @ValueSource(ints = {0, 4})
    void aDrainThatDiedHalfWayIsMadeUpForByTheNext(int ringEntries) throws Exception {
        FakeUmmunotifyDevice device = new FakeUmmunotifyDevice(false, true, ringEntries);
        UmmunotifyInvalidationSource source = new UmmunotifyInvalidationSource(device, false);
        FailingOnceSink sink = new FailingOnceSink();
        source.start(sink);
        int pages = EVENTS_PER_READ + 44;
        for (int i = 0; i < pages; i++) {
            source.watch(i, BASE + 2L * i * PAGE, PAGE);
        }
        device.invalidate(BASE, BASE + 2L * pages * PAGE);

        assertThrows(Failure.class, source::drain);
        assertTrue(source.hasPendingInvalidations(), "the failed drain settled nothing");
        source.drain();

        assertEquals(1, sink.invalidatedAll, "the events taken and lost are made up for ("
                + sink.invalidated.size() + " delivered of " + pages + ")");
        assertTrue(!source.hasPendingInvalidations());
        source.drain();
        assertEquals(1, sink.invalidatedAll, "and only once");
        source.close();
    }
}
