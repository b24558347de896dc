package org.regcache.e2e.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.regcache.e2e.memory.ChurnKind;
import org.regcache.e2e.workload.ByteSizes;
import org.regcache.e2e.workload.CacheMode;
import org.regcache.e2e.workload.WorkloadConfig;

/**
 * The demo's command line. Defaults finish the three modes in well under a minute of run time
 * in a TCG guest.
 *
 * @param modes          the modes to run, in order
 * @param workload       what each mode runs, its duration the total time of each mode
 * @param rounds         the modes take turns: each runs this many times for duration/rounds,
 *                       so that a change in the machine's load affects every mode alike
 * @param warmup         how long (b) and then (a) run, uncounted, before the measured runs,
 *                       so that the JIT has compiled the code all modes share
 * @param maxPinnedBytes capacity of the caching modes
 * @param address        IPv4 address of the RDMA device, or null for $RXE_IP
 * @param numa           the guest has two NUMA nodes with balancing on: report its work
 */
public record DemoOptions(List<CacheMode> modes, WorkloadConfig workload, int rounds,
        Duration warmup,
        long maxPinnedBytes, String address, boolean numa) {

    /** The usage text. */
    public static final String USAGE = String.join("\n",
            "usage: demo [options]",
            "  --seconds N        run time of each mode (default 10)",
            "  --rounds N         the modes take turns N times, seconds/N each (default 10)",
            "  --warmup N         uncounted seconds of (b) and of (a) before (default 3; 0: none)",
            "  --sizes LIST       transfer sizes, e.g. 4k,16k,64k (default 1k,4k: small messages,",
            "                     where registration costs most relative to the transfer)",
            "  --buffers N        client buffers (default 8)",
            "  --churn P          chance of a buffer change before each transfer (default 0.01)",
            "  --changes LIST     kinds of change: " + kindNames() + " (default: all)",
            "  --threads N        client threads, each with its own connection (default 1)",
            "  --modes LIST       modes to run, of a,b,c,d (default a,b,c; with --numa a,b,d,c)",
            "                     (d): (b) without the kernel's filter of invalidations that",
            "                     keep the pages (UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES)",
            "  --numa             the guest has two NUMA nodes and NUMA balancing on",
            "                     (integration-tests/demo --numa): adds (d), reports the",
            "                     balancing scan's work and invalidations per minute",
            "  --max-pinned SIZE  capacity of the caches (default 256m)",
            "  --seed N           seed of the random choices (default 1)",
            "  --ip ADDRESS       IPv4 address of the RDMA device (default $RXE_IP)",
            "  --help             this text");

    /**
     * Parses the arguments.
     *
     * @return the options, or null if --help was given
     * @throws IllegalArgumentException with a message naming the bad argument
     */
    public static DemoOptions parse(String... args) {
        int seconds = 10;
        int warmup = 3;
        int rounds = 10;
        List<Integer> sizes = List.of(1024, 4096);
        int buffers = 8;
        double churn = 0.01;
        Set<ChurnKind> kinds = EnumSet.allOf(ChurnKind.class);
        int threads = 1;
        List<CacheMode> modes = null;
        boolean numa = false;
        long maxPinned = 256L << 20;
        long seed = 1;
        String address = null;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--help") || option.equals("-h")) {
                return null;
            }
            if (option.equals("--numa")) {
                numa = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option.startsWith("--")
                        ? option + " needs a value" : "unknown argument '" + option + "'");
            }
            String value = args[++i];
            switch (option) {
                case "--seconds":
                    seconds = positiveInt(option, value);
                    break;
                case "--rounds":
                    rounds = positiveInt(option, value);
                    break;
                case "--warmup":
                    warmup = nonNegativeInt(option, value);
                    break;
                case "--sizes":
                    sizes = ByteSizes.parseIntList(value);
                    break;
                case "--buffers":
                    buffers = positiveInt(option, value);
                    break;
                case "--churn":
                    churn = probability(option, value);
                    break;
                case "--changes":
                    kinds = kinds(value);
                    break;
                case "--threads":
                    threads = positiveInt(option, value);
                    break;
                case "--modes":
                    modes = modes(value);
                    break;
                case "--max-pinned":
                    maxPinned = ByteSizes.parse(value);
                    break;
                case "--seed":
                    seed = longValue(option, value);
                    break;
                case "--ip":
                    address = value;
                    break;
                default:
                    throw new IllegalArgumentException("unknown option '" + option + "'");
            }
        }
        if (modes == null) {
            modes = numa ? List.of(CacheMode.UNCACHED, CacheMode.UMMUNOTIFY,
                    CacheMode.UMMUNOTIFY_EVERY_INVALIDATION, CacheMode.UNSAFE_NO_INVALIDATION)
                    : CacheMode.DEFAULT;
        }
        WorkloadConfig workload = new WorkloadConfig(sizes, threads, buffers, kinds, churn,
                Duration.ofSeconds(seconds), 0, seed);
        if (maxPinned < workload.bufferSize()) {
            throw new IllegalArgumentException("--max-pinned " + maxPinned
                    + " is smaller than one buffer (" + workload.bufferSize() + " bytes)");
        }
        if (rounds > seconds) {
            throw new IllegalArgumentException("--rounds " + rounds + " exceeds --seconds "
                    + seconds + ": each turn runs at least a second");
        }
        return new DemoOptions(modes, workload, rounds, Duration.ofSeconds(warmup), maxPinned,
                address, numa);
    }

    /** How long one turn of a mode runs: the mode's time divided by the rounds. */
    public Duration turn() {
        return workload.duration().dividedBy(rounds);
    }

    /** The command-line name of a change kind: DIRECT_REALLOCATE is "direct-reallocate". */
    static String kindName(ChurnKind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String kindNames() {
        List<String> names = new ArrayList<>();
        for (ChurnKind kind : ChurnKind.values()) {
            names.add(kindName(kind));
        }
        return String.join(",", names);
    }

    private static Set<ChurnKind> kinds(String value) {
        Set<ChurnKind> kinds = EnumSet.noneOf(ChurnKind.class);
        if (value.equals("none")) {
            return kinds;
        }
        for (String name : value.split(",", -1)) {
            ChurnKind found = null;
            for (ChurnKind kind : ChurnKind.values()) {
                if (kindName(kind).equals(name.trim())) {
                    found = kind;
                }
            }
            if (found == null) {
                throw new IllegalArgumentException("unknown change '" + name + "': the changes are "
                        + kindNames() + " or none");
            }
            kinds.add(found);
        }
        return kinds;
    }

    private static List<CacheMode> modes(String value) {
        List<CacheMode> modes = new ArrayList<>();
        for (String letter : value.split(",", -1)) {
            CacheMode mode = CacheMode.ofLetter(letter.trim());
            if (modes.contains(mode)) {
                throw new IllegalArgumentException("mode " + letter + " given twice");
            }
            modes.add(mode);
        }
        return modes;
    }

    private static int positiveInt(String option, String value) {
        long n = longValue(option, value);
        if (n < 1 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + " must be a positive number, was "
                    + value);
        }
        return (int) n;
    }

    private static int nonNegativeInt(String option, String value) {
        long n = longValue(option, value);
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + " must be 0 or more, was " + value);
        }
        return (int) n;
    }

    private static long longValue(String option, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, was '" + value + "'");
        }
    }

    private static double probability(String option, String value) {
        double p;
        try {
            p = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, was '" + value + "'");
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(option + " must be within 0 .. 1, was " + value);
        }
        return p;
    }
}
