package org.regcache.e2e.bench;

import java.util.ArrayList;
import java.util.List;
import org.regcache.e2e.workload.ByteSizes;

/**
 * The benchmark's command line.
 *
 * @param sizes   buffer sizes in bytes
 * @param millis  minimum length of one measured block
 * @param repeats measured blocks per figure (the median is reported)
 * @param address IPv4 address of the RDMA device
 * @param missSamples timed misses (and as many regMr + deregMr) per size, median reported
 * @param missWarmUp untimed misses (and regMr + deregMr) before the timed ones, at least
 */
public record BenchOptions(List<Long> sizes, long millis, int repeats, String address,
        int missSamples, int missWarmUp) {

    /** The usage text. */
    public static final String USAGE = String.join("\n",
            "usage: bench [options]",
            "  --sizes LIST   buffer sizes (default 4k,64k,1m,16m)",
            "  --millis N     minimum length of a measured block (default 500)",
            "  --repeats N    measured blocks per figure, median reported (default 5)",
            "  --ip ADDRESS   IPv4 address of the RDMA device (default $RXE_IP)",
            "  --miss-samples N  timed misses per size, median reported (default 21)",
            "  --miss-warmup N   untimed misses first, at least N and on while the JIT"
                    + " compiles, up to 10 N (default 20000)");

    /** Largest buffer: DiSNI registers at most 2^31 - 1 bytes. */
    public static final long MAX_SIZE = 1L << 30;

    /**
     * Parses the arguments.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    public static BenchOptions parse(String... args) {
        List<Long> sizes = List.of(4L << 10, 64L << 10, 1L << 20, 16L << 20);
        long millis = 500;
        int repeats = 5;
        int missSamples = 21;
        int missWarmUp = 20_000;
        String address = System.getenv("RXE_IP");
        for (int i = 0; i < args.length; i += 2) {
            String option = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args[i + 1];
            switch (option) {
                case "--sizes":
                    sizes = new ArrayList<>();
                    for (int size : ByteSizes.parseIntList(value)) {
                        if (size < 1 || size > MAX_SIZE) {
                            throw new IllegalArgumentException("buffer size " + size
                                    + " is outside 1 .. " + MAX_SIZE);
                        }
                        sizes.add((long) size);
                    }
                    break;
                case "--millis":
                    millis = positive(option, value);
                    break;
                case "--repeats":
                    repeats = Math.toIntExact(Math.min(positive(option, value), 1000));
                    break;
                case "--miss-samples":
                    missSamples = Math.toIntExact(Math.min(positive(option, value), 10_000));
                    break;
                case "--miss-warmup":
                    missWarmUp = Math.toIntExact(Math.min(positive(option, value), 1_000_000));
                    break;
                case "--ip":
                    address = value;
                    break;
                default:
                    throw new IllegalArgumentException("unknown option '" + option + "'");
            }
        }
        if (address == null || address.isEmpty()) {
            throw new IllegalArgumentException("no RDMA device address: give --ip or set RXE_IP"
                    + " (integration-tests/vm/run-in-guest sets it)");
        }
        return new BenchOptions(List.copyOf(sizes), millis, repeats, address, missSamples,
                missWarmUp);
    }

    private static long positive(String option, String value) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " needs a positive number, was '" + value
                + "'");
    }
}
