package org.regcache.ummu;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link AcquireHitBenchmark} with 1 and 2 threads and prints the ratio of a cache hit
 * (acquire + release) to a ConcurrentHashMap.get (goal: at most 1.5), and where the floor set
 * by the contract's atomics ({@link ReferenceCountFloor}) lies between them. Started by
 * {@code mvn -B -q -pl regcache-api,regcache-ummu -am -Pbench -DskipTests verify}; the system
 * properties bench.forks, bench.warmups, bench.iterations and bench.seconds shorten or lengthen
 * the run. Two forks by default: on a shared machine one JVM's code layout and the load during
 * its run move the 2-thread figure by tens of percent.
 */
public final class AcquireHitBenchmarkMain {
    private AcquireHitBenchmarkMain() {
    }

    public static void main(String[] args) throws RunnerException {
        int forks = Integer.getInteger("bench.forks", 2);
        int warmups = Integer.getInteger("bench.warmups", 3);
        int iterations = Integer.getInteger("bench.iterations", 5);
        int seconds = Integer.getInteger("bench.seconds", 1);
        StringBuilder summary = new StringBuilder();
        for (int threads : new int[] {1, 2}) {
            Options options = new OptionsBuilder()
                    .include(AcquireHitBenchmark.class.getName() + "\\.")
                    .threads(threads)
                    .forks(forks)
                    .warmupIterations(warmups)
                    .warmupTime(TimeValue.seconds(seconds))
                    .measurementIterations(iterations)
                    .measurementTime(TimeValue.seconds(seconds))
                    .build();
            Collection<RunResult> results = new Runner(options).run();
            double hit = score(results, "cacheAcquireReleaseHit");
            double map = score(results, "concurrentHashMapGet");
            double floor = score(results, "referenceCountFloor");
            summary.append(String.format("threads=%d  hit=%.1f ns/op  map.get=%.1f ns/op"
                    + "  ratio=%.2f (goal <= 1.5)  contract floor=%.1f ns/op (%.2f x map.get;"
                    + " hit = %.2f x floor)%n", threads, hit, map, hit / map, floor,
                    floor / map, hit / floor));
        }
        System.out.print(summary);
    }

    private static double score(Collection<RunResult> results, String method) {
        for (RunResult r : results) {
            if (r.getParams().getBenchmark().endsWith("." + method)) {
                return r.getPrimaryResult().getScore();
            }
        }
        throw new IllegalStateException("no result for " + method);
    }
}
