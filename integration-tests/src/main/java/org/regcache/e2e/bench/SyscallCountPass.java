package org.regcache.e2e.bench;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Counts the system calls on /dev/ummunotify that same-address misses make: for one buffer
 * size, runs {@link CountedMisses} in a JVM of its own under {@code strace -f -y -o LOG} (every
 * system call of every thread, not a chosen list, so that no call on the device can escape
 * the count), then counts the calls naming {@code </dev/ummunotify>} between its two marker
 * calls ({@link StraceWindow}) and divides by the misses the cache's stats counted between
 * them. A log that names the device nowhere (not even its open before the window) gives no
 * count rather than a count of none. A pass of its own, so that tracing slows no timed miss. The JVM is this one's: same
 * java, same JVM options (DiSNI's exports, library path), same class path.
 */
final class SyscallCountPass {
    /** Misses in the counted window: the goal is stated over at least 500. */
    static final int MISSES = 500;
    /** Misses before the window: the device's opening, the ring's set-up, the first REGISTER. */
    static final int WARM_UP = 200;
    /** Only catches a hang (a count run takes seconds to a minute in the guest). */
    private static final long HANG_MINUTES = 20;
    private static final String DEVICE = "/dev/ummunotify";

    private SyscallCountPass() {
    }

    /**
     * Counts for a buffer of {@code size} bytes (whole pages) on the RDMA device at {@code
     * address}.
     *
     * @return the count; {@link DeviceSyscalls#noStrace()} without strace on the PATH; {@link
     *     DeviceSyscalls#failed(String)} saying why when the run or its log went wrong
     */
    static DeviceSyscalls count(InetAddress address, int size) {
        Optional<Path> strace = onPath("strace");
        if (strace.isEmpty()) {
            return DeviceSyscalls.noStrace();
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("regcache-syscalls");
            return count(strace.get(), dir, address, size);
        } catch (IOException | RuntimeException e) {
            return DeviceSyscalls.failed(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DeviceSyscalls.failed("interrupted");
        } finally {
            delete(dir);
        }
    }

    private static DeviceSyscalls count(Path strace, Path dir, InetAddress address, int size)
            throws IOException, InterruptedException {
        Path log = dir.resolve("strace.log");
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        String begin = dir.resolve("window-begin.marker").toString();
        String end = dir.resolve("window-end.marker").toString();
        List<String> command = new ArrayList<>(List.of(strace.toString(), "-f", "-y", "-o",
                log.toString(), "--"));
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                CountedMisses.class.getName(), "--ip", address.getHostAddress(),
                "--size", Integer.toString(size), "--misses", Integer.toString(MISSES),
                "--warmup", Integer.toString(WARM_UP), "--begin", begin, "--end", end));
        Process run = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                new File("/dev/null"))).redirectOutput(out.toFile()).redirectError(err.toFile())
                .start();
        if (!run.waitFor(HANG_MINUTES, TimeUnit.MINUTES)) {
            run.destroyForcibly().waitFor();
            return DeviceSyscalls.failed("the count run under strace did not end within "
                    + HANG_MINUTES + " minutes (hung?)");
        }
        List<String> printed = Files.readAllLines(out, StandardCharsets.ISO_8859_1);
        if (run.exitValue() != 0) {
            List<String> errors = Files.readAllLines(err, StandardCharsets.ISO_8859_1);
            return DeviceSyscalls.failed("the count run exited with " + run.exitValue() + ": "
                    + String.join(" | ", errors.subList(Math.max(0, errors.size() - 5),
                            errors.size())));
        }
        Map<String, String> figures = figures(printed);
        List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
        if (!StraceWindow.anyNaming(lines, DEVICE)) {
            return DeviceSyscalls.failed("strace's log names " + DEVICE + " nowhere, not even"
                    + " its open: the run was not traced as expected, so no count");
        }
        SortedMap<String, Long> calls = StraceWindow.callsNaming(lines, DEVICE, begin, end);
        return new DeviceSyscalls.Counted(Long.parseLong(figures.get("misses")),
                Long.parseLong(figures.get("displaced")), calls,
                Boolean.parseBoolean(figures.get("eventRingInUse")),
                Long.parseLong(figures.get("drainsFromRing")),
                Long.parseLong(figures.get("drainsWithRead")));
    }

    /** The name=value pairs of {@link CountedMisses}'s line. */
    static Map<String, String> figures(List<String> printed) {
        for (String line : printed) {
            String[] words = line.trim().split("\\s+");
            if (words[0].equals(CountedMisses.RESULT)) {
                Map<String, String> figures = new HashMap<>();
                for (int i = 1; i < words.length; i++) {
                    int eq = words[i].indexOf('=');
                    if (eq < 1) {
                        continue;
                    }
                    figures.put(words[i].substring(0, eq), words[i].substring(eq + 1));
                }
                for (String name : List.of("misses", "displaced", "eventRingInUse",
                        "drainsFromRing", "drainsWithRead")) {
                    if (!figures.containsKey(name)) {
                        throw new IllegalArgumentException("the count run's line lacks " + name
                                + ": " + line);
                    }
                }
                return figures;
            }
        }
        throw new IllegalArgumentException("the count run printed no '" + CountedMisses.RESULT
                + "' line: " + printed);
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator)).filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, program)).filter(Files::isExecutable).findFirst();
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory of the guest's /tmp, gone with the guest
        }
    }
}
