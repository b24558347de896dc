package org.regcache.ummu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The least any cache hit must do under the {@code RegistrationCache} contract, without a
 * cache around it: pin a shared entry unless it was detached (a CAS on its reference count),
 * hand out a fresh handle whose release happens exactly once however many threads race to
 * close it (a CAS on the handle), and unpin (an atomic decrement). {@link AcquireHitBenchmark}
 * measures it beside the real hit and {@code ConcurrentHashMap.get} to show how much of a hit
 * is the contract itself: the map lookup does no atomic read-modify-write at all.
 */
final class ReferenceCountFloor {
    private static final int DETACHED = 1 << 31;
    private static final VarHandle REFS;
    private static final VarHandle RELEASED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            REFS = lookup.findVarHandle(ReferenceCountFloor.class, "refs", int.class);
            RELEASED = lookup.findVarHandle(Handle.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int key;
    @SuppressWarnings("unused") // accessed through REFS
    private volatile int refs;

    ReferenceCountFloor(int key) {
        this.key = key;
    }

    /** A handle on a pinned entry; {@link #close()} unpins it once. */
    final class Handle {
        @SuppressWarnings("unused") // accessed through RELEASED
        private volatile boolean released;

        int key() {
            return key;
        }

        void close() {
            if (!RELEASED.compareAndSet(this, false, true)) {
                throw new IllegalStateException("released twice");
            }
            REFS.getAndAdd(ReferenceCountFloor.this, -1);
        }
    }

    /** Pins, or returns null if the entry was detached (never, here). */
    Handle acquire() {
        for (;;) {
            int s = (int) REFS.getVolatile(this);
            if ((s & DETACHED) != 0) {
                return null;
            }
            if (REFS.weakCompareAndSet(this, s, s + 1)) {
                return new Handle();
            }
        }
    }
}
