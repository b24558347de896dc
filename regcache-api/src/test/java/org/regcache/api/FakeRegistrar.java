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
 */
final class FakeRegistrar implements Registrar {
    final Set<FakeRegistration> live = ConcurrentHashMap.newKeySet();
    final List<String> violations = new CopyOnWriteArrayList<>();
    final AtomicInteger registers = new AtomicInteger();
    final AtomicInteger deregisters = new AtomicInteger();
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

    @Override
    public Registration register(long address, long length, Set<Access> access)
            throws RegistrationException {
        Integer errno = nextFailure();
        if (errno != null) {
            throw new RegistrationException("injected failure", errno);
        }
        duringRegister.run();
        long[] gens = new long[(int) (length >>> 12)];
        for (int i = 0; i < gens.length; i++) {
            gens[i] = generation((address >>> 12) + i);
        }
        FakeRegistration r = new FakeRegistration(address, length,
                access.isEmpty() ? EnumSet.noneOf(Access.class) : EnumSet.copyOf(access),
                nextKey.getAndIncrement(), gens);
        registers.incrementAndGet();
        live.add(r);
        return r;
    }

    @Override
    public void deregister(Registration registration) throws RegistrationException {
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
        }
    }

    /** A registration made by {@link FakeRegistrar}, with the memory generations it pinned. */
    static final class FakeRegistration implements Registration {
        private final long address;
        private final long length;
        private final Set<Access> access;
        private final int key;
        private final long[] generations;

        FakeRegistration(long address, long length, Set<Access> access, int key,
                long[] generations) {
            this.address = address;
            this.length = length;
            this.access = Collections.unmodifiableSet(access);
            this.key = key;
            this.generations = generations;
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

        @Override
        public Object nativeRegistration() {
            return this;
        }

        @Override
        public String toString() {
            return "FakeRegistration{key=" + key + ", [" + Long.toHexString(address) + ", +"
                    + length + ")}";
        }
    }
}
