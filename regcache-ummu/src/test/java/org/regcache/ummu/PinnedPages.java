package org.regcache.ummu;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import org.regcache.api.FakeRegistrar;
import org.regcache.api.RegistrationException;
import org.regcache.ummu.internal.LibC;

/**
 * The pages of a range, held as an RDMA NIC's registration holds them, and read back as the NIC
 * would send them (an RDMA READ): the imitation NIC of the guest tests ({@link #registrar()}).
 *
 * <p><b>How the pages are taken.</b> A NIC's registration (ib_umem_get()) pins with
 * pin_user_pages_fast(): it walks the page tables <i>without</i> mmap_lock as long as their
 * entries are present, so it runs in the middle of a munmap(), mmap(MAP_FIXED) or madvise()
 * that is replacing them, faults missing pages in with the lock held, and keeps a reference to
 * every page, so that no page is freed or given to anybody else while the registration lives,
 * whatever happens to the mapping. vmsplice(2) without SPLICE_F_GIFT takes pages the same way
 * (get_user_pages_fast()) and keeps the references in the pipe's buffers until the pipe is
 * closed. It takes them for reading (no FOLL_WRITE), as the pin of a registration without local
 * write does: a missing page is faulted in as the shared zero page, which the next write then
 * replaces (copy on write: an invalidation of the range like any other).
 *
 * <p>Reading /proc/self/pagemap or /proc/self/mem instead would not do: both take mmap_lock, so
 * they never run while munmap() or mmap(MAP_FIXED) replace the pages (the races of those two
 * could not be seen), and they keep no reference, so a frame number read there may be freed and
 * given to the same address again (equal frames, yet a stale registration). Nor would a plain
 * load: it goes through this CPU's TLB.
 *
 * <p><b>Reading.</b> {@link #firstLongs()} copies the pipe's page references into a scratch
 * pipe (tee(2): the pin is not consumed) and reads those: the bytes of the pinned pages, whatever
 * the range maps now.
 *
 * <p><b>Thread safety.</b> {@link #firstLongs()} may run in several threads at once; {@link
 * #close()} must not run concurrently with it (the owner of a registration closes it).
 */
final class PinnedPages implements AutoCloseable {
    static final long PAGE = 4096;

    private final long address;
    private final long length;
    /** The pipe holding the pages: read end, write end. */
    private final int[] pipe;

    private PinnedPages(long address, long length, int[] pipe) {
        this.address = address;
        this.length = length;
        this.pipe = pipe;
    }

    /**
     * {@return the imitation NIC: a registrar whose every registration pins its range's pages
     * here} A registration's {@link org.regcache.api.Registration#nativeRegistration()} is its
     * {@code PinnedPages}, closed at its deregistration; a range not wholly mapped fails with
     * EFAULT, as ibv_reg_mr() does. The registrar counts registrations and records misuse.
     */
    static FakeRegistrar registrar() {
        FakeRegistrar registrar = new FakeRegistrar();
        registrar.pinner = PinnedPages::pin;
        return registrar;
    }

    /**
     * Pins the pages of [address, address + length), both page-aligned.
     *
     * @throws RegistrationException with errno EFAULT if part of the range is not mapped (as
     *     ibv_reg_mr() fails), or the errno of the pipe call that failed
     */
    static PinnedPages pin(long address, long length) throws RegistrationException {
        if (address % PAGE != 0 || length % PAGE != 0 || length <= 0) {
            throw new IllegalArgumentException("not a page-aligned range: " + address + " +"
                    + length);
        }
        int[] pipe;
        try {
            pipe = pipeFor(length);
        } catch (LastErrorException e) {
            throw new RegistrationException("no pipe for " + length + " bytes: errno "
                    + e.getErrorCode(), e.getErrorCode(), e);
        }
        try (Memory iovec = new Memory(16)) {
            for (long done = 0; done < length; ) {
                iovec.setLong(0, address + done);
                iovec.setLong(8, length - done);
                long spliced = LibC.vmsplice(pipe[1], iovec, 1,
                        LibC.SPLICE_F_NONBLOCK);
                if (spliced <= 0) {
                    throw new IllegalStateException("vmsplice returned " + spliced);
                }
                done += spliced;
            }
        } catch (LastErrorException e) {
            closePipe(pipe);
            throw new RegistrationException("cannot pin [0x" + Long.toHexString(address) + ", +"
                    + length + "): vmsplice: errno " + e.getErrorCode(), e.getErrorCode(), e);
        } catch (RuntimeException e) {
            closePipe(pipe);
            throw e;
        }
        return new PinnedPages(address, length, pipe);
    }

    /**
     * {@return the first long (native order) of every pinned page, in address order} Reads the
     * pinned pages themselves, not the range's current mapping.
     */
    long[] firstLongs() {
        int[] scratch = pipeFor(length);
        try (Memory bytes = new Memory(length)) {
            long copied = LibC.tee(pipe[0], scratch[1], length,
                    LibC.SPLICE_F_NONBLOCK);
            if (copied != length) {
                throw new IllegalStateException("tee copied " + copied + " of " + length
                        + " pinned bytes");
            }
            for (long read = 0; read < length; ) {
                long n = LibC.read(scratch[0], bytes.share(read), length - read);
                if (n <= 0) {
                    throw new IllegalStateException("read of the pinned pages returned " + n);
                }
                read += n;
            }
            long[] values = new long[(int) (length / PAGE)];
            for (int page = 0; page < values.length; page++) {
                values[page] = bytes.getLong(page * PAGE);
            }
            return values;
        } finally {
            closePipe(scratch);
        }
    }

    long address() {
        return address;
    }

    long length() {
        return length;
    }

    /** Drops the references: the pages go back to whoever else holds them, or are freed. */
    @Override
    public void close() {
        closePipe(pipe);
    }

    /** A pipe whose capacity holds {@code length} bytes of whole pages. */
    private static int[] pipeFor(long length) {
        int[] fds = new int[2];
        LibC.pipe2(fds, LibC.O_CLOEXEC);
        try {
            int capacity = LibC.fcntl(fds[1], LibC.F_SETPIPE_SZ,
                    Math.toIntExact(length));
            if (capacity < length) {
                throw new IllegalStateException("pipe capacity " + capacity + " < " + length);
            }
        } catch (RuntimeException e) {
            closePipe(fds);
            throw e;
        }
        return fds;
    }

    private static void closePipe(int[] fds) {
        LibC.close(fds[0]);
        LibC.close(fds[1]);
    }
}
