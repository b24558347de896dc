package org.regcache.e2e.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.regcache.api.RegistrationCache;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.ByteSizes;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.ProgressListener;
import org.regcache.e2e.workload.Workload;
import org.regcache.e2e.workload.WorkloadConfig;
import org.regcache.e2e.workload.WorkloadResult;
import org.regcache.ummu.UmmunotifyInvalidationSource;
import org.regcache.verbs.DisniProtectionDomain;

/**
 * The main demonstration: the same RDMA traffic with churning client buffers, run (a) without
 * a cache, (b) with regcache kept correct by /dev/ummunotify and (c) with the same cache and
 * invalidation switched off, then a table of the three and a verdict. Exit status 0 when (a)
 * and (b) delivered every byte intact and (c) showed corruption; 1 otherwise; 2 for bad
 * arguments.
 *
 * <p>Runs where SoftRoCE and /dev/ummunotify are: in the guest of
 * integration-tests/vm/run-in-guest (see integration-tests/demo).
 */
public final class Demo {
    private Demo() {
    }

    /** Entry point; see {@link DemoOptions#USAGE}. */
    public static void main(String[] args) {
        DemoOptions options;
        try {
            options = DemoOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("demo: " + e.getMessage());
            System.err.println(DemoOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(DemoOptions.USAGE);
            return;
        }
        int status;
        try {
            status = run(options, System.out);
        } catch (IOException | RuntimeException e) {
            System.out.flush();
            System.err.println("demo: " + e);
            status = 1;
        }
        System.exit(status);
    }

    /** Runs every mode, prints progress, the table and the verdict; returns the exit status. */
    static int run(DemoOptions options, PrintStream out) throws IOException {
        InetAddress address = InetAddress.getByName(deviceAddress(options));
        WorkloadConfig workload = options.workload();
        printSetup(options, address, out);
        Map<CacheMode, WorkloadResult> results = new EnumMap<>(CacheMode.class);
        Map<String, Long> filtered = new HashMap<>();
        List<String> problems = new ArrayList<>();
        Map<String, Long> numaBefore = Map.of();
        try (DisniProtectionDomain domain = DisniProtectionDomain.open(address)) {
            warmUp(options, domain, address, out);
            numaBefore = numaCounters();
            runTurns(options, domain, address, results, filtered, problems, out);
        }
        out.println();
        List<WorkloadResult> rows = new ArrayList<>();
        for (CacheMode mode : options.modes()) {
            if (results.containsKey(mode)) {
                rows.add(results.get(mode));
            }
        }
        WorkloadResult baseline = results.get(CacheMode.UNCACHED);
        for (String line : ResultTable.render(rows,
                baseline != null && baseline.totals().bytes() > 0 ? baseline : null, filtered)) {
            out.println(line);
        }
        out.println();
        if (options.numa()) {
            numaReport(results, filtered, numaBefore, numaCounters(), out);
        }
        verdict(results, problems, out);
        if (problems.isEmpty()) {
            out.println("demo: every expectation held");
            return 0;
        }
        for (String problem : problems) {
            out.println("demo: FAILED: " + problem);
        }
        return 1;
    }

    /**
     * Sets up every mode (its cache, connection and buffers) and lets the modes take turns,
     * each continuing where its last turn stopped, as long-running applications would; turns
     * expose every mode alike to changes in the machine's load. One line of running totals
     * per turn, and one a second within longer turns.
     */
    private static void runTurns(DemoOptions options, DisniProtectionDomain domain,
            InetAddress address, Map<CacheMode, WorkloadResult> results,
            Map<String, Long> filtered, List<String> problems, PrintStream out)
            throws IOException {
        Map<CacheMode, RegistrationCache> caches = new EnumMap<>(CacheMode.class);
        Map<CacheMode, Workload> workloads = new EnumMap<>(CacheMode.class);
        Map<CacheMode, UmmunotifyInvalidationSource> sources = new EnumMap<>(CacheMode.class);
        try {
            for (CacheMode mode : options.modes()) {
                RegistrationCache cache = mode.open(domain.registrar(), options.maxPinnedBytes(),
                        source -> sources.put(mode, source));
                caches.put(mode, cache);
                workloads.put(mode, Workload.open(cache, address, domain.pd(),
                        options.workload()));
            }
            Duration turn = options.turn();
            out.println();
            out.println("== the modes take turns of " + turn.toMillis() / 1000.0 + " s, "
                    + options.rounds() + " each, every turn continuing where the last stopped");
            for (int round = 1; round <= options.rounds(); round++) {
                for (CacheMode mode : options.modes()) {
                    WorkloadResult before = results.get(mode);
                    if (before != null && !before.completed()) {
                        continue;
                    }
                    String tag = "(" + mode.letter() + ")";
                    WorkloadResult result = workloads.get(mode).run(mode.label(), turn,
                            new ProgressLine(tag, before, turn, out));
                    WorkloadResult sum = results.merge(mode, result,
                            WorkloadResult::followedBy);
                    UmmunotifyInvalidationSource source = sources.get(mode);
                    if (source != null && source.invalidationsFilteredByKernel() >= 0) {
                        filtered.put(mode.label(), source.invalidationsFilteredByKernel());
                    }
                    out.println(ProgressLine.format(tag, sum.elapsedNanos(), sum.totals(),
                            sum.stats()));
                    if (!result.completed()) {
                        problems.add(mode.label() + " stopped: " + result.failure());
                        out.println("  stopped: " + result.failure());
                    }
                }
            }
        } finally {
            IOException closing = null;
            for (Workload workload : workloads.values()) {
                try {
                    workload.close();
                } catch (IOException e) {
                    closing = e;
                }
            }
            caches.values().forEach(RegistrationCache::close);
            if (closing != null) {
                throw closing;
            }
        }
    }

    /**
     * Runs (b) and then (a) for the warm-up time each, uncounted: under an emulated CPU the JIT
     * takes seconds to compile the code every mode shares, which would otherwise penalise
     * whichever mode runs first.
     */
    private static void warmUp(DemoOptions options, DisniProtectionDomain domain,
            InetAddress address, PrintStream out) throws IOException {
        if (options.warmup().isZero()) {
            return;
        }
        out.println();
        out.println("== warm-up, not counted: " + options.warmup().toSeconds() + " s of "
                + CacheMode.UMMUNOTIFY.label() + ", then of " + CacheMode.UNCACHED.label());
        WorkloadConfig warmup = options.workload().withDuration(options.warmup());
        for (CacheMode mode : List.of(CacheMode.UMMUNOTIFY, CacheMode.UNCACHED)) {
            WorkloadResult result;
            try (RegistrationCache cache = mode.open(domain.registrar(),
                    options.maxPinnedBytes())) {
                result = Workload.run("warm-up " + mode.label(), cache, address, domain.pd(),
                        warmup, ProgressListener.NONE);
            }
            if (!result.completed()) {
                throw new IOException("warm-up with " + mode.label() + " failed: "
                        + result.failure());
            }
        }
    }

    /** NUMA balancing's counters in /proc/vmstat (empty where the kernel has none). */
    private static Map<String, Long> numaCounters() {
        Map<String, Long> counters = new HashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/vmstat"))) {
                String[] kv = line.split(" ");
                if (kv.length == 2 && (kv[0].equals("numa_pte_updates")
                        || kv[0].equals("numa_hint_faults")
                        || kv[0].equals("numa_pages_migrated"))) {
                    counters.put(kv[0], Long.parseLong(kv[1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Map.of();
        }
        return counters;
    }

    /**
     * With --numa: what NUMA balancing did during the counted turns, and per caching mode the
     * invalidations per minute of its own run time and its hit rate.
     */
    private static void numaReport(Map<CacheMode, WorkloadResult> results,
            Map<String, Long> filtered, Map<String, Long> before, Map<String, Long> after,
            PrintStream out) {
        out.println(String.format(Locale.ROOT, "NUMA balancing during the turns: %,d PTE updates"
                + " by the scan, %,d hinting faults, %,d pages migrated (/proc/vmstat).",
                delta(before, after, "numa_pte_updates"), delta(before, after,
                        "numa_hint_faults"), delta(before, after, "numa_pages_migrated")));
        for (CacheMode mode : List.of(CacheMode.UMMUNOTIFY,
                CacheMode.UMMUNOTIFY_EVERY_INVALIDATION)) {
            WorkloadResult r = results.get(mode);
            if (r == null || r.elapsedNanos() <= 0) {
                continue;
            }
            double minutes = r.elapsedNanos() / 60e9;
            Long skipped = filtered.get(mode.label());
            out.println(String.format(Locale.ROOT, "(%s) %.1f invalidations per minute received"
                    + "%s, hit rate %.1f%% (%s)", mode.letter(),
                    r.stats().invalidationsReceived() / minutes,
                    skipped == null ? "" : String.format(Locale.ROOT,
                            ", %.1f per minute filtered by the kernel", skipped / minutes),
                    100 * r.hitRate(), r.stats().skipsSamePageInvalidations()
                            ? "UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES on"
                            : "every invalidation reported"));
        }
        out.println();
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String name) {
        return after.getOrDefault(name, 0L) - before.getOrDefault(name, 0L);
    }

    private static String deviceAddress(DemoOptions options) {
        if (options.address() != null) {
            return options.address();
        }
        String fromEnvironment = System.getenv("RXE_IP");
        if (fromEnvironment == null || fromEnvironment.isEmpty()) {
            throw new IllegalArgumentException("no RDMA device address: give --ip or set RXE_IP"
                    + " (integration-tests/vm/run-in-guest sets it)");
        }
        return fromEnvironment;
    }

    private static void printSetup(DemoOptions options, InetAddress address, PrintStream out) {
        WorkloadConfig w = options.workload();
        out.println("regcache demo: RDMA WRITE + READ over SoftRoCE (" + address.getHostAddress()
                + "), every transfer checked; a registration is acquired for every transfer.");
        out.println("  transfer sizes " + w.sizes().stream().map(ByteSizes::format)
                .collect(Collectors.joining(", ")) + "; " + w.threads() + " client thread(s) with "
                + w.buffersPerThread() + " buffers of " + ByteSizes.format(w.bufferSize())
                + " each; cache capacity " + ByteSizes.format(options.maxPinnedBytes()));
        out.println(String.format(Locale.ROOT, "  before each transfer, with probability %.2f,"
                + " one buffer changes by one of:", w.churnProbability()));
        for (ChurnKind kind : w.churnKinds()) {
            out.println("    - " + kind.description());
        }
        out.println("  modes: " + options.modes().stream().map(CacheMode::label)
                .collect(Collectors.joining("; ")));
    }

    private static void verdict(Map<CacheMode, WorkloadResult> results, List<String> problems,
            PrintStream out) {
        WorkloadResult uncached = results.get(CacheMode.UNCACHED);
        WorkloadResult cached = results.get(CacheMode.UMMUNOTIFY);
        WorkloadResult unsafe = results.get(CacheMode.UNSAFE_NO_INVALIDATION);
        if (uncached != null) {
            out.println(String.format(Locale.ROOT, "(a) %,d corrupted of %,d transfers.",
                    uncached.totals().corrupted(), uncached.totals().transfers()));
            if (uncached.totals().corrupted() > 0) {
                problems.add("(a) corrupted data without any cache: " + uncached.corruptions());
            }
        }
        if (cached != null) {
            out.println(String.format(Locale.ROOT, "(b) %,d corrupted of %,d transfers, %,d"
                    + " invalidations received from /dev/ummunotify.",
                    cached.totals().corrupted(), cached.totals().transfers(),
                    cached.stats().invalidationsReceived()));
            if (cached.totals().corrupted() > 0) {
                problems.add("(b) the ummunotify cache delivered corrupted data: "
                        + cached.corruptions());
            }
            if (uncached != null && uncached.totals().bytes() > 0) {
                double speedup = ResultTable.speedup(cached, uncached);
                out.println(String.format(Locale.ROOT, "    speedup of (b) over (a): %.2fx"
                        + " (throughput of the same workload)", speedup));
                if (speedup <= 1) {
                    out.println("    note: (b) was not faster than (a) in this run");
                }
            }
        }
        WorkloadResult unfiltered = results.get(CacheMode.UMMUNOTIFY_EVERY_INVALIDATION);
        if (unfiltered != null) {
            out.println(String.format(Locale.ROOT, "(d) %,d corrupted of %,d transfers, %,d"
                    + " invalidations received from /dev/ummunotify.",
                    unfiltered.totals().corrupted(), unfiltered.totals().transfers(),
                    unfiltered.stats().invalidationsReceived()));
            if (unfiltered.totals().corrupted() > 0) {
                problems.add("(d) the unfiltered ummunotify cache delivered corrupted data: "
                        + unfiltered.corruptions());
            }
        }
        if (unsafe != null) {
            out.println(String.format(Locale.ROOT, "(c) %,d corrupted of %,d transfers: the"
                    + " unsafe cache handed out stale registrations, and the checks caught it.",
                    unsafe.totals().corrupted(), unsafe.totals().transfers()));
            unsafe.totals().corruptedAfter().forEach((kind, n) -> out.println(String.format(
                    Locale.ROOT, "    %,6d after %s", n, kind.description())));
            if (unsafe.totals().corruptedUnchanged() > 0) {
                out.println(String.format(Locale.ROOT, "    %,6d on new buffers allocated where"
                        + " freed ones had been", unsafe.totals().corruptedUnchanged()));
            }
            for (String first : unsafe.corruptions()) {
                out.println("    first: " + first);
            }
            if (cached != null && unsafe.bytesPerSecond() > cached.bytesPerSecond()) {
                out.println("    (c) is faster than (b) only because it skips the"
                        + " re-registration every change requires: fast wrong answers.");
            }
            if (unsafe.totals().corrupted() == 0) {
                problems.add("(c) showed no corruption in this run; run longer (--seconds) or"
                        + " change buffers more often (--churn)");
            }
        }
    }
}
