package org.regcache.ummu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;
import org.regcache.api.RegistrationException;
import org.regcache.ummu.internal.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * /dev/ummunotify through JNA: open(O_RDONLY | O_CLOEXEC | O_NONBLOCK), the feature exchange
 * (first call on the file, as the ABI requires; it always asks for {@code
 * UMMUNOTIFY_FEATURE_REPORT_AT_END}, for {@code UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES} and {@code
 * UMMUNOTIFY_FEATURE_EVENT_RING} unless told not to; a module that does not know a feature
 * answers without it), mmap of the counter page, the event ring when agreed ({@link
 * MappedEventRing}, {@value #RING_ENTRIES} entries), the REGISTER_REGION and UNREGISTER_REGION
 * ioctls, non-blocking read() and poll().
 *
 * <p><b>Ring size.</b> {@value #RING_ENTRIES} entries: 128 KiB of entries plus the control
 * page, charged to the memory cgroup, and 8 bytes of our own page for the tail word. Every hit
 * of a registration is one entry, and the cache drains at every acquire that finds the counter
 * moved, so between two drains the ring must hold the hits of the invalidations in between: an
 * munmap() of a region holding many cached registrations writes one entry per registration
 * (the cache holds up to its live entries plus {@link
 * UmmunotifyInvalidationSource#KEPT_REGISTRATIONS} kept ones). 4096 holds such a burst over
 * thousands of registrations; a larger one overflows to read() (the kernel merges the hits of
 * a registration there), costing system calls, never an event. The maximum (65536, 2 MiB)
 * would buy little more for 16 times the memory.
 *
 * <p><b>Closing without waiting, and without reuse of a closed descriptor.</b> Every call
 * counts itself in {@link #users}; {@link #close()} only sets the CLOSED bit, and whoever drops
 * the count to zero with CLOSED set (close() itself or the last call in flight) closes the file.
 * So a descriptor number is never used after close(2) (it might belong to another file by then).
 * The counter page is read without any such accounting (it is the hot path): at close it is
 * replaced in place by an anonymous zero page ({@code MAP_FIXED}), so a racing read sees 0
 * instead of faulting; that page is unmapped when the device object becomes unreachable
 * (a {@link Cleaner}, which also closes a descriptor that was never closed).
 */
final class NativeUmmunotifyDevice implements UmmunotifyDevice {
    private static final Logger LOG = LoggerFactory.getLogger(NativeUmmunotifyDevice.class);
    private static final Cleaner CLEANER = Cleaner.create();
    /** The size of the event ring, in entries (see the class comment). */
    static final int RING_ENTRIES = 4096;
    private static final int CLOSED = 1 << 31;
    /**
     * Per thread, the native argument of REGISTER_REGION and UNREGISTER_REGION (32 bytes,
     * {@code struct ummunotify_register_ioctl}, whose first 8 bytes also serve as UNREGISTER's
     * cookie). Every miss registers and a later unlink unregisters: no JNA {@code Structure}
     * (reflective field writes) nor {@code LongByReference} (native memory with a Cleaner) is
     * built per call.
     */
    private static final ThreadLocal<Memory> ARGUMENT =
            ThreadLocal.withInitial(() -> new Memory(RegisterRegionStruct.SIZE));

    private final String path;
    private final NativeFile file;
    private final CounterPage counter;
    private final AtomicInteger users = new AtomicInteger();
    /** The features the kernel agreed to at open. */
    private final int features;

    /** The event ring, or null (not agreed, or its setup failed). */
    private final MappedEventRing ring;

    private NativeUmmunotifyDevice(String path, NativeFile file, int features) {
        this.path = path;
        this.file = file;
        this.features = features;
        this.counter = new CounterPage(new Pointer(file.page));
        this.ring = file.ring;
        CLEANER.register(this, file);
    }

    /**
     * Opens and maps {@code path}, asking for {@code UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES} and
     * {@code UMMUNOTIFY_FEATURE_REPORT_AT_END}.
     *
     * @throws UmmunotifyException with the errno and the remedy when the device is missing,
     *     not accessible or not an ummunotify device
     */
    static NativeUmmunotifyDevice open(String path) {
        return open(path, true, true);
    }

    /**
     * Opens and maps {@code path}; asks for {@code UMMUNOTIFY_FEATURE_REPORT_AT_END} (the answer
     * is {@link #reportsAtEnd()}), when {@code skipSamePages} for {@code
     * UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES} (the answer is {@link #skipsSamePages()}), and when
     * {@code eventRing} for {@code UMMUNOTIFY_FEATURE_EVENT_RING}: if agreed, it makes and maps
     * a ring of {@value #RING_ENTRIES} entries ({@link #ringEntries()}). A ring setup that fails
     * is logged (INFO) and the file used with read() alone; if the kernel made the ring but it
     * could not be mapped, the file is opened again without asking for it (events would go to a
     * ring nobody reads).
     *
     * @throws UmmunotifyException with the errno and the remedy when the device is missing,
     *     not accessible or not an ummunotify device
     */
    static NativeUmmunotifyDevice open(String path, boolean skipSamePages, boolean eventRing) {
        int fd;
        try {
            fd = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        } catch (LastErrorException e) {
            throw openFailure(path, e.getErrorCode(), e);
        }
        try {
            int agreed = exchangeFeatures(path, fd, requestedFeatures(skipSamePages, eventRing));
            long pageSize = LibC.sysconf(LibC.SC_PAGESIZE);
            Pointer page;
            try {
                page = LibC.mmap(null, pageSize, LibC.PROT_READ, LibC.MAP_SHARED, fd, 0);
            } catch (LastErrorException e) {
                throw new UmmunotifyException("mmap of the counter page of " + path
                        + " failed: " + Errno.describe(e.getErrorCode()), e.getErrorCode(), e);
            }
            NativeFile file = new NativeFile(fd, Pointer.nativeValue(page), pageSize);
            if ((agreed & UmmunotifyAbi.FEATURE_EVENT_RING) == 0) {
                if (eventRing) {
                    LOG.info("{} does not offer UMMUNOTIFY_FEATURE_EVENT_RING (an older module):"
                            + " every drain of invalidations read()s them with system calls",
                            path);
                }
                return new NativeUmmunotifyDevice(path, file, agreed);
            }
            try {
                file.ring = MappedEventRing.setUp(fd, pageSize, RING_ENTRIES);
                return new NativeUmmunotifyDevice(path, file, agreed);
            } catch (MappedEventRing.RingSetupException e) {
                LOG.info("{}: no event ring ({}): events are read() with a system call", path,
                        e.getMessage());
                if (!e.ringMade) {
                    return new NativeUmmunotifyDevice(path, file, agreed);
                }
            }
            // The kernel made a ring we cannot read: its events would be lost there.
            file.run(); // unmaps the counter page, closes fd
        } catch (RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
        return open(path, skipSamePages, false);
    }

    /** The feature mask {@link #open(String, boolean, boolean)} asks for. */
    static int requestedFeatures(boolean skipSamePages, boolean eventRing) {
        return UmmunotifyAbi.FEATURE_REPORT_AT_END
                | (skipSamePages ? UmmunotifyAbi.FEATURE_SKIP_SAME_PAGES : 0)
                | (eventRing ? UmmunotifyAbi.FEATURE_EVENT_RING : 0);
    }

    static UmmunotifyException openFailure(String path, int errno, Throwable cause) {
        String remedy;
        switch (errno) {
            case LibC.ENOENT:
            case LibC.ENODEV:
            case LibC.ENXIO:
                remedy = "module not loaded: modprobe ummunotify, see README (or build the cache"
                        + " uncached())";
                break;
            case LibC.EACCES:
            case LibC.EPERM:
                remedy = "permission denied: install the udev rule kernel/udev/90-ummunotify.rules"
                        + " (MODE=0666), see README";
                break;
            default:
                remedy = "see README";
        }
        return new UmmunotifyException("cannot open " + path + ": " + Errno.describe(errno)
                + "; " + remedy, errno, cause);
    }

    /** Asks for {@code requested}; returns what the kernel agreed to. */
    private static int exchangeFeatures(String path, int fd, int requested) {
        IntByReference features = new IntByReference(requested);
        try {
            LibC.ioctl(fd, UmmunotifyAbi.EXCHANGE_FEATURES, features.getPointer());
        } catch (LastErrorException e) {
            String why = e.getErrorCode() == LibC.ENOTTY
                    ? path + " is not an ummunotify device" : "feature exchange on " + path
                    + " failed";
            throw new UmmunotifyException(why + ": " + Errno.describe(e.getErrorCode()),
                    e.getErrorCode(), e);
        }
        return checkAgreed(path, requested, features.getValue());
    }

    /**
     * The kernel's answer to a feature request: a subset of it (a module that does not know a
     * feature leaves its bit out).
     *
     * @throws UmmunotifyException when the answer holds a feature that was not requested
     */
    static int checkAgreed(String path, int requested, int agreed) {
        if ((agreed & ~requested) != 0) {
            throw new UmmunotifyException(path + " granted features 0x"
                    + Integer.toHexString(agreed & ~requested) + " that were not requested", 0,
                    null);
        }
        return agreed;
    }

    /** {@return the feature mask the kernel agreed to at open} */
    int features() {
        return features;
    }

    @Override
    public boolean skipsSamePages() {
        return (features & UmmunotifyAbi.FEATURE_SKIP_SAME_PAGES) != 0;
    }

    @Override
    public boolean reportsAtEnd() {
        return (features & UmmunotifyAbi.FEATURE_REPORT_AT_END) != 0;
    }

    @Override
    public String fdinfo() {
        enter();
        try {
            return java.nio.file.Files.readString(
                    java.nio.file.Path.of("/proc/self/fdinfo/" + file.fd));
        } catch (java.io.IOException e) {
            return "";
        } finally {
            exit();
        }
    }

    private static void closeQuietly(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException ignored) {
            // nothing more to do for a descriptor we are abandoning
        }
    }

    private void enter() {
        for (;;) {
            int s = users.get();
            if ((s & CLOSED) != 0) {
                throw new IllegalStateException(path + " is closed");
            }
            if (users.compareAndSet(s, s + 1)) {
                return;
            }
        }
    }

    private void exit() {
        if (users.decrementAndGet() == CLOSED) {
            file.retire();
        }
    }

    @Override
    public long counterAcquire() {
        return counter.getAcquire();
    }

    @Override
    public int ringEntries() {
        return ring == null ? 0 : ring.entries();
    }

    // The ring's accesses count themselves in users, as read() does: close() unmaps the ring
    // only once no call is inside, and none enters after it.

    @Override
    public long ringHeadAcquire() {
        enter();
        try {
            return ring.headAcquire();
        } finally {
            exit();
        }
    }

    @Override
    public void copyRingEntries(long from, int count, EventBuffer buffer) {
        enter();
        try {
            ring.copy(from, count, buffer);
        } finally {
            exit();
        }
    }

    @Override
    public void publishRingTail(long tail) {
        enter();
        try {
            ring.publishTail(tail);
        } finally {
            exit();
        }
    }

    @Override
    public boolean ringOverflowAcquire() {
        enter();
        try {
            return ring.overflowAcquire();
        } finally {
            exit();
        }
    }

    @Override
    public void registerRegion(long start, long end, long cookie) throws RegistrationException {
        enter();
        try {
            Memory request = ARGUMENT.get();
            RegisterRegionStruct.write(request, start, end, cookie);
            LibC.ioctl(file.fd, UmmunotifyAbi.REGISTER_REGION, request);
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            String remedy;
            switch (errno) {
                case LibC.ENOSPC:
                    remedy = "the per-file limit is reached: raise"
                            + " /sys/module/ummunotify/parameters/max_regions";
                    break;
                case LibC.EPERM:
                    remedy = "the file belongs to another address space (used after fork()?)";
                    break;
                case LibC.EINVAL:
                    remedy = "range beyond user space or cookie already registered";
                    break;
                default:
                    remedy = "see Documentation/ummunotify.rst";
            }
            throw new RegistrationException("ummunotify REGISTER_REGION [0x"
                    + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") cookie "
                    + cookie + " failed: " + Errno.describe(errno) + ": " + remedy, errno, e);
        } finally {
            exit();
        }
    }

    @Override
    public boolean unregisterRegion(long cookie) {
        enter();
        try {
            Memory argument = ARGUMENT.get();
            argument.setLong(0, cookie);
            LibC.ioctl(file.fd, UmmunotifyAbi.UNREGISTER_REGION, argument);
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EINVAL) {
                return false;
            }
            throw new UmmunotifyException("ummunotify UNREGISTER_REGION cookie " + cookie
                    + " failed: " + Errno.describe(e.getErrorCode()), e.getErrorCode(), e);
        } finally {
            exit();
        }
    }

    @Override
    public int read(EventBuffer buffer) {
        enter();
        try {
            for (;;) {
                try {
                    long bytes = LibC.read(file.fd, buffer.memory, buffer.sizeInBytes());
                    if (bytes % UmmunotifyAbi.EVENT_SIZE != 0) {
                        throw new UmmunotifyException("read from " + path + " returned " + bytes
                                + " bytes, not a whole number of events", 0, null);
                    }
                    return (int) (bytes / UmmunotifyAbi.EVENT_SIZE);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == LibC.EAGAIN) {
                        return 0;
                    }
                    if (e.getErrorCode() != LibC.EINTR) {
                        throw new UmmunotifyException("read from " + path + " failed: "
                                + Errno.describe(e.getErrorCode()), e.getErrorCode(), e);
                    }
                }
            }
        } finally {
            exit();
        }
    }

    @Override
    public boolean awaitReadable(int timeoutMillis) {
        enter();
        try (Memory pollfd = new Memory(8)) {
            pollfd.setInt(0, file.fd);
            pollfd.setShort(4, LibC.POLLIN);
            pollfd.setShort(6, (short) 0);
            return LibC.poll(pollfd, 1, timeoutMillis) > 0;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EINTR) {
                return false;
            }
            throw new UmmunotifyException("poll on " + path + " failed: "
                    + Errno.describe(e.getErrorCode()), e.getErrorCode(), e);
        } finally {
            exit();
        }
    }

    @Override
    public void close() {
        for (;;) {
            int s = users.get();
            if ((s & CLOSED) != 0) {
                return;
            }
            if (users.compareAndSet(s, s | CLOSED)) {
                if (s == 0) {
                    file.retire();
                }
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "ummunotify(" + path + ", fd " + file.fd + ")";
    }

    /** The native resources, shared with the Cleaner (which must not reach the device). */
    private static final class NativeFile implements Runnable {
        final int fd;
        final long page;
        final long pageSize;
        /** Set once at open, before the device is published; null without a ring. */
        MappedEventRing ring;
        private volatile boolean fdClosed;
        private volatile boolean ringUnmapped;

        NativeFile(int fd, long page, long pageSize) {
            this.fd = fd;
            this.page = page;
            this.pageSize = pageSize;
        }

        /**
         * After close(), with no call inside: unmap the ring, swap the counter page for a zero
         * page, then close the file.
         */
        void retire() {
            unmapRing();
            try {
                LibC.mmap(new Pointer(page), pageSize, LibC.PROT_READ,
                        LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_FIXED, -1, 0);
            } catch (LastErrorException e) {
                // Cannot happen for a page we own; if it does, keep the device mapping rather
                // than unmapping under a reader. The file then stays referenced by the mapping.
                return;
            }
            fdClosed = true;
            closeQuietly(fd);
        }

        /** The device became unreachable: nobody can read the page any more. */
        @Override
        public void run() {
            unmapRing();
            try {
                LibC.munmap(new Pointer(page), pageSize);
            } catch (LastErrorException ignored) {
                // the process is shutting down or the page is already gone
            }
            if (!fdClosed) {
                fdClosed = true;
                closeQuietly(fd);
            }
        }

        /** Once only: a second munmap() could hit whatever was mapped there since. */
        private void unmapRing() {
            if (ring != null && !ringUnmapped) {
                ringUnmapped = true;
                ring.unmap();
            }
        }
    }
}
