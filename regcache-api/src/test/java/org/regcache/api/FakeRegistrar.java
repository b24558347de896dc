package org.regcache.api;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A registrar over nothing: hands out registrations with increasing keys, remembers which are
 * live, and records every misuse (double or unknown deregistration, deregistration of a
 * registration a test marked as in use) instead of throwing, so that tests can assert on them.
 * What a registration holds is the test's choice ({@link #pinner}): nothing, a record of the
 * memory it would pin, or pages really pinned (regcache-ummu's guest tests).
 *
 * <p>The one test registrar of the project: the other modules' tests use it from regcache-api's
 * test jar (public for them; not part of any published API). Thread-safe.
 */
public final class FakeRegistrar implements Registrar {
    /** The registrations made and not yet deregistered. */
    public final Set<FakeRegistration> live = ConcurrentHashMap.newKeySet();
    /** Every misuse seen, in order; empty if the cache used the registrar correctly. */
    public final List<String> violations = new CopyOnWriteArrayList<>();
    /** Registrations made (failed ones not counted). */
    public final AtomicInteger registers = new AtomicInteger();
    /** Calls of {@link #deregister}, misuses included. */
    public final AtomicInteger deregisters = new AtomicInteger();
    /**
     * Called by {@link #register} with the range, as a NIC pins a registration's pages; what
     * it returns is the registration's {@link FakeRegistration#nativeRegistration()}, closed at
     * the registration's deregistration if it is {@link AutoCloseable}; an exception it throws
     * fails the registration. Pins nothing (null) unless a test sets it.
     */
    public volatile Pinner pinner = (address, length) -> null;
    private final AtomicInteger nextKey = new AtomicInteger(100);
    private final Deque<Integer> failures = new ArrayDeque<>();
    /** Per-page generation of the simulated memory; registrations record it. */
    final ConcurrentHashMap<Long, AtomicLong> generations = new ConcurrentHashMap<>();
    /** Runs inside register(), after the failures check: lets tests race with registration. */
    volatile Runnable duringRegister = () -> { };
    /** Checked at deregistration: a registration a test still uses must not go. */
    final Set<Registration> inUseByTest = ConcurrentHashMap.newKeySet();
    /** Like {@link #inUseByTest}, counting handles, for tests with many threads. */
    final ConcurrentHashMap<Registration, AtomicInteger> handlesByTest = new ConcurrentHashMap<>();
    volatile boolean forbidDeregistration;

    /** The next registrations fail with these errnos, in order. */
    synchronized void failNext(int... errnos) {
        for (int errno : errnos) {
            failures.add(errno);
        }
    }

    private synchronized Integer nextFailure() {
        return failures.poll();
    }

    void use(Registration r) {
        handlesByTest.computeIfAbsent(r, k -> new AtomicInteger()).incrementAndGet();
    }

    void unuse(Registration r) {
        handlesByTest.get(r).decrementAndGet();
    }

    long generation(long page) {
        return generations.computeIfAbsent(page, p -> new AtomicLong()).get();
    }

    /** Generations of the pages of [address, address + length) now. */
    long[] generations(long address, long length) {
        long first = address >>> 12;
        long[] g = new long[(int) (((address + length - 1) >>> 12) - first + 1)];
        for (int i = 0; i < g.length; i++) {
            g[i] = generation(first + i);
        }
        return g;
    }

    /** Simulates the memory of [address, address + length) being replaced. */
    void changeMemory(long address, long length) {
        for (long page = address >>> 12; page <= (address + length - 1) >>> 12; page++) {
            generations.computeIfAbsent(page, p -> new AtomicLong()).incrementAndGet();
        }
    }

    /**
     * Registers [address, address + length): fails with the next errno of {@link #failNext}
     * if any, else runs {@link #duringRegister} and {@link #pinner}.
     */
    @Override
    public Registration register(long address, long length, Set<Access> access)
            throws RegistrationException {
        Integer errno = nextFailure();
        if (errno != null) {
            throw new RegistrationException("injected failure", errno);
        }
        duringRegister.run();
        Object pinned = pinner.pin(address, length);
        long[] gens = new long[(int) (length >>> 12)];
        for (int i = 0; i < gens.length; i++) {
            gens[i] = generation((address >>> 12) + i);
        }
        FakeRegistration r = new FakeRegistration(address, length,
                access.isEmpty() ? EnumSet.noneOf(Access.class) : EnumSet.copyOf(access),
                nextKey.getAndIncrement(), gens, pinned);
        registers.incrementAndGet();
        live.add(r);
        return r;
    }

    /** Deregisters, recording any misuse in {@link #violations}; never throws. */
    @Override
    public void deregister(Registration registration) {
        deregisters.incrementAndGet();
        if (forbidDeregistration) {
            violations.add("deregistration of " + registration + " where it is forbidden");
        }
        AtomicInteger handles = handlesByTest.get(registration);
        if (inUseByTest.contains(registration) || handles != null && handles.get() > 0) {
            violations.add("deregistration of " + registration + " while a handle uses it");
        }
        if (!live.remove(registration)) {
            violations.add("deregistration of unknown or dead " + registration);
            return;
        }
        // only the thread that removed it gets here: unpinned once
        if (registration.nativeRegistration() instanceof AutoCloseable pinned) {
            try {
                pinned.close();
            } catch (Exception e) {
                violations.add("unpinning " + registration + " failed: " + e);
            }
        }
    }

    /** What a registration pins for its range, as {@link #pinner}. */
    @FunctionalInterface
    public interface Pinner {
        /**
         * Pins [address, address + length).
         *
         * @return what the registration holds (its {@link Registration#nativeRegistration()})
         * @throws RegistrationException if the range cannot be pinned (as a NIC's EFAULT)
         */
        Object pin(long address, long length) throws RegistrationException;
    }

    /**
     * A registration made by {@link FakeRegistrar}: its range, the memory generations it
     * pinned, and what the {@link #pinner} returned ({@link #nativeRegistration()}).
     */
    public static final class FakeRegistration implements Registration {
        private final long address;
        private final long length;
        private final Set<Access> access;
        private final int key;
        private final long[] generations;
        private final Object pinned;

        FakeRegistration(long address, long length, Set<Access> access, int key,
                long[] generations, Object pinned) {
            this.address = address;
            this.length = length;
            this.access = Collections.unmodifiableSet(access);
            this.key = key;
            this.generations = generations;
            this.pinned = pinned;
        }

        /** Whether every page of [a, a + len) pinned here is at least as new as {@code min}. */
        boolean isAtLeast(long a, long len, long[] min) {
            for (long page = a >>> 12; page <= (a + len - 1) >>> 12; page++) {
                if (generations[(int) (page - (address >>> 12))] < min[(int) (page - (a >>> 12))]) {
                    return false;
                }
            }
            return true;
        }

        /** Whether the pages of [a, a + len) are the ones pinned (no change since). */
        boolean isCurrent(FakeRegistrar registrar, long a, long len) {
            for (long page = a >>> 12; page <= (a + len - 1) >>> 12; page++) {
                if (registrar.generation(page) != generations[(int) (page - (address >>> 12))]) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public long address() {
            return address;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public int lkey() {
            return key;
        }

        @Override
        public int rkey() {
            return key + 1_000_000;
        }

        @Override
        public Set<Access> access() {
            return access;
        }

        /** {@return what {@link FakeRegistrar#pinner} returned for this registration} */
        @Override
        public Object nativeRegistration() {
            return pinned;
        }

        @Override
        public String toString() {
            return "FakeRegistration{key=" + key + ", [" + Long.toHexString(address) + ", +"
                    + length + ")}";
        }
    }
}
