package org.regcache.e2e;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.regcache.ummu.internal.LibC;

/**
 * The CPU affinity of the calling thread (Linux {@code sched_getaffinity}/{@code
 * sched_setaffinity} with pid 0, which name the calling thread only), and the CPUs of a NUMA
 * node as sysfs lists them. Closing restores the affinity the thread had.
 */
final class ThreadAffinity implements AutoCloseable {
    /** Bytes of the masks passed to the kernel: 1024 CPUs, glibc's {@code cpu_set_t}. */
    private static final int MASK_BYTES = 128;

    private final long[] previous;

    private ThreadAffinity(long[] previous) {
        this.previous = previous;
    }

    /**
     * Confines the calling thread to {@code cpus}.
     *
     * @return the confinement; close it on the same thread to give back the previous affinity
     * @throws LastErrorException if the kernel refuses (e.g. none of the CPUs is online)
     */
    static ThreadAffinity confine(BitSet cpus) {
        long[] before = currentMask();
        long[] mask = new long[MASK_BYTES / Long.BYTES];
        long[] words = cpus.toLongArray();
        System.arraycopy(words, 0, mask, 0, Math.min(words.length, mask.length));
        LibC.sched_setaffinity(0, MASK_BYTES, mask);
        return new ThreadAffinity(before);
    }

    /** The CPUs the calling thread may run on now. */
    static BitSet current() {
        return BitSet.valueOf(currentMask());
    }

    /** The calling thread's affinity as the kernel gives it: {@value #MASK_BYTES} bytes. */
    private static long[] currentMask() {
        long[] mask = new long[MASK_BYTES / Long.BYTES];
        LibC.sched_getaffinity(0, MASK_BYTES, mask);
        return mask;
    }

    /** The CPUs of NUMA node {@code node}, from {@code /sys/devices/system/node/nodeN/cpulist}. */
    static BitSet cpusOfNode(int node) throws IOException {
        return parseCpuList(Files.readString(
                Path.of("/sys/devices/system/node/node" + node + "/cpulist")).trim());
    }

    /** Parses a kernel CPU list such as {@code 0-3,8,10-11}; an empty list is no CPU. */
    static BitSet parseCpuList(String list) {
        BitSet cpus = new BitSet();
        if (list.isEmpty()) {
            return cpus;
        }
        for (String part : list.split(",")) {
            int dash = part.indexOf('-');
            try {
                if (dash < 0) {
                    cpus.set(Integer.parseInt(part));
                } else {
                    cpus.set(Integer.parseInt(part.substring(0, dash)),
                            Integer.parseInt(part.substring(dash + 1)) + 1);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a CPU list: " + list, e);
            }
        }
        return cpus;
    }

    @Override
    public void close() {
        LibC.sched_setaffinity(0, MASK_BYTES, previous);
    }
}
