package org.regcache.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What the guest of integration-tests/vm/run-in-guest provides, and the kernel's view of this
 * process: the RDMA device's address, the user-space memory regions ({@code rdma resource}),
 * the process's credentials and limits.
 *
 * <p>The guest runs no other RDMA user, so every user-space memory region the kernel lists is
 * this JVM's. (Filtering by pid does not work: the kernel records the thread that created a
 * resource.)
 */
final class GuestEnvironment {
    private static final Pattern RESOURCE_LINE = Pattern.compile("dev ");
    private static final Pattern KERNEL_OWNED = Pattern.compile("\\bcomm \\[");
    private static final Pattern LKEY = Pattern.compile("\\blkey (0x[0-9a-f]+|\\d+)\\b");
    private static final Pattern UID = Pattern.compile("(?m)^Uid:\\s+(\\d+)");
    private static final Pattern MEMLOCK = Pattern.compile(
            "(?m)^Max locked memory\\s+(\\S+)\\s+(\\S+)\\s+bytes");

    private GuestEnvironment() {
    }

    /** IPv4 address of the SoftRoCE device ($RXE_IP). */
    static InetAddress rxeAddress() throws IOException {
        String ip = System.getenv("RXE_IP");
        if (ip == null || ip.isEmpty()) {
            fail("RXE_IP is not set: these tests run inside integration-tests/vm/run-in-guest"
                    + " (see integration-tests/e2e-tests)");
        }
        return InetAddress.getByName(ip);
    }

    /** The lines of {@code rdma -d resource show mr} for memory regions of user space. */
    static List<String> userMemoryRegions() throws IOException, InterruptedException {
        return rdma("-d", "resource", "show", "mr").lines()
                .filter(line -> RESOURCE_LINE.matcher(line).lookingAt())
                .filter(line -> !KERNEL_OWNED.matcher(line).find())
                .collect(Collectors.toList());
    }

    /** The local keys of the user-space memory regions. */
    static List<Integer> userMemoryRegionKeys() throws IOException, InterruptedException {
        return userMemoryRegions().stream().map(line -> {
            Matcher m = LKEY.matcher(line);
            if (!m.find()) {
                throw new AssertionError("no lkey in: " + line);
            }
            return Integer.decode(m.group(1));
        }).collect(Collectors.toList());
    }

    /** This process's real uid, from /proc/self/status. */
    static long uid() throws IOException {
        Matcher m = UID.matcher(Files.readString(Path.of("/proc/self/status")));
        if (!m.find()) {
            throw new AssertionError("no Uid line in /proc/self/status");
        }
        return Long.parseLong(m.group(1));
    }

    /** The soft RLIMIT_MEMLOCK in bytes, or -1 for unlimited, from /proc/self/limits. */
    static long memlockLimit() throws IOException {
        Matcher m = MEMLOCK.matcher(Files.readString(Path.of("/proc/self/limits")));
        if (!m.find()) {
            throw new AssertionError("no 'Max locked memory' line in /proc/self/limits");
        }
        return m.group(1).equals("unlimited") ? -1 : Long.parseLong(m.group(1));
    }

    private static String rdma(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "rdma";
        System.arraycopy(args, 0, command, 1, args.length);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("rdma " + String.join(" ", args) + " did not finish");
        }
        if (process.exitValue() != 0) {
            fail("rdma " + String.join(" ", args) + " failed: " + output);
        }
        return output;
    }
}
