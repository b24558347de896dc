package org.regcache.ummu;

import org.jetbrains.lincheck.Lincheck;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.verifier.EpsilonVerifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Model checks (Lincheck) of the source's watch/unwatch/drain protocol with invalidations in
 * progress, on {@link WatchProtocolModel} and {@link ModelCheckedDevice}, with the delivery
 * oracle of {@code InvalidationSource.watch}. Bounded by scenarios and invocations, never time
 * ({@code -Dmodelcheck.scale=N} for a deeper search).
 *
 * <p>Random scenarios of watch, unwatch, drain, invalidation start and end from two threads on
 * what the source does with the current module: REPORT_AT_END agreed, registrations of ended
 * watches kept and adopted. And issue 18's races as fixed scenarios, every interleaving within
 * the bound explored, on a module without the feature and with it: the recipient named only
 * after REGISTER returned, and a registration adopted without REPORT_AT_END, both fail at
 * commit c7166cf.
 *
 * <p>With an event ring ({@code UMMUNOTIFY_FEATURE_EVENT_RING}) of {@value #RING} entries, so
 * that both the ring and its overflow to read() are reached within a few operations: the same
 * random scenarios, and the adoption scenario, where the entry consumed from the ring during the
 * invalidation must be followed by the report at its end.
 */
public class WatchProtocolModelCheckTest {
    /** -Dmodelcheck.scale=N explores N times as many scenarios and interleavings. */
    private static final int SCALE = Integer.getInteger("modelcheck.scale", 1);
    /** The ring's size in the ring scenarios. */
    static final int RING = 2;

    /** A module without REPORT_AT_END; every ended watch unregistered (none kept). */
    public static class SeedModuleNothingKept extends WatchProtocolModel {
        public SeedModuleNothingKept() {
            super(false, 0);
        }
    }

    /** A module without REPORT_AT_END, the source asked to keep registrations. */
    public static class SeedModuleKeepingAsked extends WatchProtocolModel {
        public SeedModuleKeepingAsked() {
            super(false, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS);
        }
    }

    /** A module with REPORT_AT_END: registrations of ended watches kept and adopted. */
    public static class ReportAtEndKeeping extends WatchProtocolModel {
        public ReportAtEndKeeping() {
            super(true, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS);
        }
    }

    /** The same, with an event ring of {@value #RING} entries. */
    public static class ReportAtEndKeepingWithRing extends WatchProtocolModel {
        public ReportAtEndKeepingWithRing() {
            super(true, UmmunotifyInvalidationSource.KEPT_REGISTRATIONS, RING);
        }
    }

    /**
     * Runs the classes' static initialisers (JNA's native library for the source's event
     * buffer, slf4j) once before any model check, not inside its first invocation: there they
     * would be analysed step by step, and a slow first invocation on a loaded machine can exceed
     * Lincheck's per-invocation timeout (30 s), which it reports as a hang.
     */
    @BeforeAll
    static void initialiseClassesOutsideTheModelChecker() {
        WatchProtocolModel model = new ReportAtEndKeeping();
        model.watch(0, 0);
        model.invalidateStart(1, 1);
        model.drain();
        model.everyInvalidationReported();
    }

    @Test
    void reportAtEndModuleWithKeptRegistrationsReportsEveryInvalidation() {
        checkRandomScenarios(ReportAtEndKeeping.class);
    }

    /** The same random scenarios on a device with an event ring, which overflows to read(). */
    @Test
    void ringModuleWithKeptRegistrationsReportsEveryInvalidation() {
        checkRandomScenarios(ReportAtEndKeepingWithRing.class);
    }

    /** Random scenarios of two threads' operations on {@code model}, every one checked. */
    private static void checkRandomScenarios(Class<? extends WatchProtocolModel> model) {
        new ModelCheckingOptions()
                .verifier(EpsilonVerifier.class) // the oracle is everyInvalidationReported()
                .threads(2)
                .actorsPerThread(4)
                .actorsBefore(1)
                .actorsAfter(0)
                .iterations(20 * SCALE)
                .invocationsPerIteration(10)
                .check(model);
    }

    /**
     * Issue 18, race 2: a new registration's event, read by another thread's drain between
     * REGISTER and the return of watch(), must reach the sink. The test thread watches a range
     * while another thread's munmap() of it is in progress and drains; the munmap() ends after
     * both.
     */
    @Test
    void eventOfANewRegistrationReadBeforeRegisterReturnsIsDelivered() {
        Lincheck.runConcurrentTest(100 * SCALE, () -> {
            WatchProtocolModel model = new SeedModuleNothingKept();
            Thread unmapper = new Unmapper(model, true);
            unmapper.start();
            model.watch(0, 0);
            join(unmapper);
            model.everyInvalidationReported(); // ends the munmap(), drains, checks
        });
    }

    /**
     * Issue 18, race 1: a watch that could adopt a registration whose event was read while its
     * invalidation was in progress must be told of that invalidation. Cookie 1 watches the
     * range; another thread's munmap() of it starts, while the test thread drains (cookie 1
     * invalidated and unwatched: its registration parked, if the source keeps any) and watches
     * the same range again; the munmap() ends after both. On a module without REPORT_AT_END the
     * source must not keep registrations at all.
     */
    @Test
    void watchOfARangeUnderInvalidationIsToldOfItOnAModuleWithoutReportAtEnd() {
        Lincheck.runConcurrentTest(50 * SCALE, () -> watchAgainDuringAnInvalidation(
                new SeedModuleKeepingAsked()));
    }

    /** The same, adopting: the module's report at the invalidation's end tells the adopter. */
    @Test
    void watchAdoptingARegistrationDuringAnInvalidationIsToldOfItByTheReportAtEnd() {
        Lincheck.runConcurrentTest(50 * SCALE, () -> watchAgainDuringAnInvalidation(
                new ReportAtEndKeeping()));
    }

    /**
     * The same on a ring: the entry of the invalidation in progress is consumed from the ring
     * (no read()), and the report at its end must still reach the adopter.
     */
    @Test
    void watchAdoptingARegistrationWhoseRingEntryWasConsumedIsToldByTheReportAtEnd() {
        Lincheck.runConcurrentTest(50 * SCALE, () -> watchAgainDuringAnInvalidation(
                new ReportAtEndKeepingWithRing()));
    }

    private static void watchAgainDuringAnInvalidation(WatchProtocolModel model) {
        model.watch(0, 0);
        Thread unmapper = new Unmapper(model, false);
        unmapper.start();
        model.drain();
        model.watch(0, 0);
        join(unmapper);
        model.everyInvalidationReported(); // ends the munmap(), drains, checks
    }

    /**
     * A munmap() of range 0 on thread id 1, left in progress, then a drain if asked. A class,
     * not a lambda: Lincheck sees its fields, so it sees the model shared between threads.
     */
    private static final class Unmapper extends Thread {
        private final WatchProtocolModel model;
        private final boolean drains;

        Unmapper(WatchProtocolModel model, boolean drains) {
            this.model = model;
            this.drains = drains;
        }

        @Override
        public void run() {
            model.invalidateStart(1, 0);
            if (drains) {
                model.drain();
            }
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
