package org.regcache.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The SoftRoCE set-up of integration-tests/vm/run-in-guest, and the kernel's view of the
 * RDMA resources of user space ({@code rdma resource show}), for the *GuestIT tests.
 *
 * <p>The guest runs no RDMA user but the test JVM, so every user-space resource the kernel
 * lists is this process's. (Filtering by pid would not work: the kernel reports the id of
 * the thread that created a resource, and none once that thread has exited.)
 */
final class GuestRdma {
    /** Upper bound for waiting on an RDMA event; reaching it fails the test (no timing claim). */
    static final int EVENT_TIMEOUT_MS = 30_000;

    private static final Pattern RESOURCE_LINE = Pattern.compile("(dev|link) ");
    private static final Pattern KERNEL_OWNER = Pattern.compile("\\bcomm \\[");
    private static final Pattern MR_LENGTH = Pattern.compile("\\bmrlen (\\d+)\\b");

    private GuestRdma() {
    }

    /** IPv4 address of rxe0 ($RXE_IP). */
    static InetAddress rxeAddress() throws IOException {
        return InetAddress.getByName(environment("RXE_IP"));
    }

    /** Name of the device on $RXE_IP ($RXE_DEV, rxe0). */
    static String rxeDevice() {
        return environment("RXE_DEV");
    }

    private static String environment(String name) {
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) {
            fail(name + " is not set: guest tests run inside integration-tests/vm/run-in-guest "
                    + "(see regcache-verbs/src/test/guest/run-guest-tests)");
        }
        return value;
    }

    /**
     * The user-space lines of {@code rdma -d resource show <kind>} (kind: mr, pd, cq, qp,
     * cm_id); the kernel's own resources are those named "comm [module]".
     */
    static List<String> userResources(String kind) throws IOException, InterruptedException {
        return rdma("-d", "resource", "show", kind).lines()
                .filter(line -> RESOURCE_LINE.matcher(line).lookingAt())
                .filter(line -> !KERNEL_OWNER.matcher(line).find())
                .collect(Collectors.toList());
    }

    /** Lengths of the user-space memory regions, as the kernel reports them, sorted. */
    static List<Long> memoryRegionLengths() throws IOException, InterruptedException {
        return userResources("mr").stream()
                .map(line -> {
                    Matcher length = MR_LENGTH.matcher(line);
                    if (!length.find()) {
                        throw new AssertionError("no mrlen in: " + line);
                    }
                    return Long.parseLong(length.group(1));
                })
                .sorted()
                .collect(Collectors.toList());
    }

    private static final String[] KINDS = {"mr", "pd", "cq", "qp", "cm_id"};

    /** Asserts the kernel lists no user-space MR, PD, CQ, QP or cm id. */
    static void assertNoResourcesLeft() throws IOException, InterruptedException {
        for (String kind : KINDS) {
            assertEquals(List.of(), userResources(kind), "leftover " + kind);
        }
    }

    /** The user-space MRs, PDs, CQs, QPs and cm ids, by kind. */
    static Map<String, List<String>> userResources() throws IOException, InterruptedException {
        Map<String, List<String>> resources = new LinkedHashMap<>();
        for (String kind : KINDS) {
            resources.put(kind, userResources(kind));
        }
        return resources;
    }

    private static String rdma(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "rdma";
        System.arraycopy(args, 0, command, 1, args.length);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(EVENT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            fail("rdma " + String.join(" ", args) + " did not finish");
        }
        if (process.exitValue() != 0) {
            fail("rdma " + String.join(" ", args) + " failed: " + output);
        }
        return output;
    }
}
