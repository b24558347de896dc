package org.regcache.ummu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link AcquireHitBenchmark} and its C counterpart (UCX's rcache, {@code
 * src/test/c/ucx_rcache_hit.c}, built by the bench profile) with 1 and 2 threads, interleaved
 * in the same run (C, then one JMH fork, for each thread count, {@code bench.forks} rounds), and
 * prints one table: our hit, UCX's hit, their ratio (goal at most 1), the contract floor
 * ({@link ReferenceCountFloor}; goal: hit at most 2x it), ConcurrentHashMap.get, and the
 * scaling of hits on disjoint registrations from 1 to 2 threads (goal at least 1.6x), beside
 * the floor's own scaling on disjoint entries (what the machine gives the contract's atomics
 * alone). The
 * figures are CPU time per operation (each thread's own CPU time over the operations it ran),
 * which the load of a shared machine does not inflate; the whole JVM's CPU time per operation
 * (garbage collection of the handles included) and JMH's wall-clock scores follow for context,
 * with the load average. UCX's process has no thread besides the measured ones.
 *
 * <p>Started by {@code mvn -B -q -pl regcache-api,regcache-ummu -am -Pbench -DskipTests
 * verify}; the system properties bench.forks, bench.warmups, bench.iterations and
 * bench.seconds shorten or lengthen the run, bench.ucx names the C binary.
 */
public final class AcquireHitBenchmarkMain {
    private static final String HIT = "cacheAcquireReleaseHit";
    private static final String DISJOINT = "cacheHitDisjoint";
    private static final String FLOOR = "referenceCountFloor";
    private static final String FLOOR_DISJOINT = "referenceCountFloorDisjoint";
    private static final String MAP = "concurrentHashMapGet";
    private static final String UCX = "ucx";
    private static final int[] THREADS = {1, 2};

    private AcquireHitBenchmarkMain() {
    }

    public static void main(String[] args) throws RunnerException, IOException,
            InterruptedException {
        int rounds = Integer.getInteger("bench.forks", 2);
        int warmups = Integer.getInteger("bench.warmups", 3);
        int iterations = Integer.getInteger("bench.iterations", 5);
        int seconds = Integer.getInteger("bench.seconds", 1);
        String ucx = System.getProperty("bench.ucx", "target/ucx_rcache_hit");
        Path cpuFile = Files.createTempFile("acquire-hit-cpu", ".txt");
        String loadBefore = loadAverage();
        // ops and CPU nanoseconds by benchmark and thread count, over every round
        Map<String, long[]> cpu = new HashMap<>();
        Map<String, List<Double>> wall = new HashMap<>();
        try {
            for (int round = 0; round < rounds; round++) {
                for (int threads : THREADS) {
                    add(cpu, key(UCX, threads), runUcx(ucx, threads, warmups, iterations,
                            seconds));
                    Options options = new OptionsBuilder()
                            .include(AcquireHitBenchmark.class.getName() + "\\.")
                            .threads(threads)
                            .forks(1)
                            .jvmArgsAppend("-Dbench.cpuFile=" + cpuFile)
                            .warmupIterations(warmups)
                            .warmupTime(TimeValue.seconds(seconds))
                            .measurementIterations(iterations)
                            .measurementTime(TimeValue.seconds(seconds))
                            .build();
                    for (RunResult r : new Runner(options).run()) {
                        String name = r.getParams().getBenchmark();
                        wall.computeIfAbsent(key(name.substring(name.lastIndexOf('.') + 1),
                                threads), k -> new ArrayList<>())
                                .add(r.getPrimaryResult().getScore());
                    }
                }
            }
            for (String line : Files.readAllLines(cpuFile, StandardCharsets.US_ASCII)) {
                String[] f = line.trim().split(" ");
                add(cpu, key(f[0], Integer.parseInt(f[1])),
                        new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]),
                            Long.parseLong(f[4])});
            }
        } finally {
            Files.deleteIfExists(cpuFile);
        }
        System.out.print(HitTable.render(cpu, wall, loadBefore, loadAverage()));
    }

    /** Runs the C benchmark; its ops and CPU nanoseconds summed over its threads. */
    private static long[] runUcx(String binary, int threads, int warmups, int iterations,
            int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(binary, String.valueOf(threads), String.valueOf(warmups),
                String.valueOf(iterations), String.valueOf(seconds * 1000))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(binary + " failed (exit " + p.exitValue() + "): "
                    + out);
        }
        long ops = -1;
        long cpuNanos = -1;
        for (String field : out.trim().split("\\s+")) {
            if (field.startsWith("ops=")) {
                ops = Long.parseLong(field.substring(4));
            } else if (field.startsWith("cpu_ns=")) {
                cpuNanos = Long.parseLong(field.substring(7));
            }
        }
        if (ops <= 0 || cpuNanos <= 0) {
            throw new IllegalStateException(binary + " printed no figures: " + out);
        }
        System.out.print(out);
        return new long[] {ops, cpuNanos, cpuNanos};
    }

    static String key(String benchmark, int threads) {
        return benchmark + "/" + threads;
    }

    /** Adds {ops, thread CPU nanoseconds, process CPU nanoseconds}. */
    private static void add(Map<String, long[]> sums, String key, long[] figures) {
        long[] sum = sums.computeIfAbsent(key, k -> new long[3]);
        for (int i = 0; i < sum.length; i++) {
            sum[i] += figures[i];
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The summary table. */
    static final class HitTable {
        private HitTable() {
        }

        static String render(Map<String, long[]> cpu, Map<String, List<Double>> wall,
                String loadBefore, String loadAfter) {
            StringBuilder b = new StringBuilder();
            b.append(String.format("%nregcache hit vs UCX rcache hit, CPU time per operation"
                    + " (load average %s at start, %s at end; %d cores)%n", loadBefore,
                    loadAfter, Runtime.getRuntime().availableProcessors()));
            b.append(String.format("%-8s %10s %10s %12s %10s %13s %10s%n", "threads", "hit",
                    "UCX hit", "hit/UCX", "floor", "hit/floor", "map.get"));
            for (int threads : THREADS) {
                double hit = perOp(cpu, key(HIT, threads));
                double ucx = perOp(cpu, key(UCX, threads));
                double floor = perOp(cpu, key(FLOOR, threads));
                double map = perOp(cpu, key(MAP, threads));
                b.append(String.format("%-8d %7.1f ns %7.1f ns %6.2f (<= 1) %7.1f ns %7.2f (<= 2)"
                        + " %7.1f ns%n", threads, hit, ucx, hit / ucx, floor, hit / floor, map));
            }
            double one = perOp(cpu, key(DISJOINT, 1));
            double two = perOp(cpu, key(DISJOINT, 2));
            double wallOne = mean(wall.get(key(DISJOINT, 1)));
            double wallTwo = mean(wall.get(key(DISJOINT, 2)));
            double floorOne = perOp(cpu, key(FLOOR_DISJOINT, 1));
            double floorTwo = perOp(cpu, key(FLOOR_DISJOINT, 2));
            b.append(String.format("hits on disjoint registrations: %.1f ns/op with 1 thread,"
                    + " %.1f with 2: throughput 2 threads / 1 thread = %.2f (goal >= 1.6);"
                    + " by wall clock %.2f; the floor on disjoint entries %.2f (%.1f and %.1f"
                    + " ns/op)%n", one, two, 2 * one / two, 2 * wallOne / wallTwo,
                    2 * floorOne / floorTwo, floorOne, floorTwo));
            b.append(String.format("the whole JVM's CPU time per hit (GC included): %.1f ns"
                    + " with 1 thread, %.1f with 2 (hit/UCX %.2f, %.2f)%n",
                    perOp(cpu, key(HIT, 1), 2), perOp(cpu, key(HIT, 2), 2),
                    perOp(cpu, key(HIT, 1), 2) / perOp(cpu, key(UCX, 1), 2),
                    perOp(cpu, key(HIT, 2), 2) / perOp(cpu, key(UCX, 2), 2)));
            b.append("JMH wall-clock scores (mean of rounds), for context:");
            for (String name : new String[] {HIT, DISJOINT, FLOOR, FLOOR_DISJOINT, MAP}) {
                for (int threads : THREADS) {
                    b.append(String.format(" %s/%d=%.1f", name, threads,
                            mean(wall.get(key(name, threads)))));
                }
            }
            b.append(String.format(" ns/op%n"));
            return b.toString();
        }

        private static double perOp(Map<String, long[]> cpu, String key) {
            return perOp(cpu, key, 1);
        }

        /** Nanoseconds of figure {@code which} (1 thread CPU, 2 process CPU) per operation. */
        private static double perOp(Map<String, long[]> cpu, String key, int which) {
            long[] sum = cpu.get(key);
            if (sum == null || sum[0] == 0) {
                return Double.NaN;
            }
            return (double) sum[which] / sum[0];
        }

        private static double mean(List<Double> values) {
            if (values == null || values.isEmpty()) {
                return Double.NaN;
            }
            return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        }
    }
}
