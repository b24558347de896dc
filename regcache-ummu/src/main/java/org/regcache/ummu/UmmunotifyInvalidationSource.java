package org.regcache.ummu;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.regcache.api.InvalidationSink;
import org.regcache.api.InvalidationSource;
import org.regcache.api.RegistrationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link InvalidationSource} backed by /dev/ummunotify, the kernel's MMU notifier relayed to
 * user space. Use it as {@code RegistrationCache.builder().invalidationSource(
 * UmmunotifyInvalidationSource::open)}: building the cache then fails with a {@link
 * UmmunotifyException} naming the remedy when the module is not loaded or the device is not
 * accessible.
 *
 * <p><b>Protocol.</b> Each watched range is registered with the device under a cookie of its
 * own, whose recipient (the watch's cookie) is recorded before the REGISTER ioctl, so that an
 * event for it read by another thread before the ioctl returns is delivered. When the device
 * agreed to {@code UMMUNOTIFY_FEATURE_REPORT_AT_END} (see {@link #reportsInvalidationsAtEnd()}),
 * the registration of an ended watch is kept ("parked", up to {@value #KEPT_REGISTRATIONS}, the
 * oldest unregistered first) and serves a later watch of exactly the same range: the miss that
 * follows an invalidation usually registers the range it just lost (memory freed and allocated
 * again at the same address), and then makes neither the UNREGISTER nor the REGISTER system
 * call. Without the feature (an older module) nothing is kept: re-using a registration skips
 * REGISTER's check of the invalidations in progress, and only the report at their end makes up
 * for it. See {@code WatchTable} for why either way never leaves a registration stale.
 *
 * <p>{@link #hasPendingInvalidations()} compares the counter in the mapped page with the last
 * value a drain consumed up to: one acquire load, no system call. Only when they differ does
 * {@link #drain()} take events, handing every INVAL cookie to the sink: from the event ring
 * when the module made one ({@code UMMUNOTIFY_FEATURE_EVENT_RING}, see {@link
 * #eventRingInUse()}), with loads and one store, no system call, and with read() only when the
 * ring overflowed; without a ring, with read() (non-blocking, {@value #EVENTS_PER_READ} per call
 * into one reusable native buffer) until a LAST event. The argument for each is at {@code
 * drainRing} and {@code drainByRead}. A HINT only narrows what changed inside the registered
 * range; the registration pins the whole range, so every INVAL, HINT or not, invalidates the
 * whole entry. Events of device cookies no watch has (parked or ended registrations; UNREGISTER
 * does not take back ring entries) concern nobody and are dropped.
 *
 * <p><b>Invalidations in progress when {@link #watch} returns</b> are reported too, as
 * {@link InvalidationSource#watch} requires: a fresh registration by the kernel's check of the
 * invalidations in progress at REGISTER (it queues an event at once), a re-used one by
 * REPORT_AT_END (an event read before the invalidation ended is queued again at its end).
 *
 * <p><b>Why this is enough</b> (the guarantee of {@link InvalidationSource}): the kernel bumps
 * the counter inside its invalidate_range_start notifier (and, with REPORT_AT_END, again in
 * its invalidate_range_end when it queued events there), under the same lock that queues the
 * INVAL events (into the ring, or for read()), after them, before munmap()/madvise()/mremap()
 * return. So an acquire that starts after such a call returned loads a counter different from
 * the last value seen, unless a drain already consumed the corresponding events; and a drain
 * consumes, at least, every event queued before the counter value it loaded first (see {@code
 * drainRing} and {@code drainByRead}). So when drain() returns, every invalidation that
 * completed before the acquire began has been delivered. The kernel may bump the counter again
 * during the drain; those newer events are left for the next acquire. Drains are serialised by
 * a lock (taken only when the counter moved), so that no thread returns from drain() while
 * another thread holds undelivered events.
 *
 * <p><b>Background drainer</b> (off by default): {@link #openWithBackgroundDrainer()} adds a
 * daemon thread that poll()s the device and drains as soon as events arrive, so that idle
 * entries of freed memory are unpinned even when no acquire comes. Off by default because every
 * acquire already drains, a busy application acquires constantly, and the thread costs a wake-up
 * per invalidation; {@code RegistrationCache.flushIdle()} or close() return idle memory too.
 *
 * <p><b>Thread safety.</b> All methods may be called from any thread. {@link #close()} waits
 * for nothing: the file is closed by the last call in flight.
 */
public final class UmmunotifyInvalidationSource implements InvalidationSource {
    private static final Logger LOG = LoggerFactory.getLogger(UmmunotifyInvalidationSource.class);

    /** Events read per read() call. */
    public static final int EVENTS_PER_READ = 256;

    /**
     * How many kernel registrations of ended watches are kept for a later watch of the same
     * range, when the device reports invalidations at their end (none otherwise). Each costs
     * about 120 bytes of kernel memory, one of the file's {@code max_regions} (given back when
     * a registration fails for lack of them) and, when its range is invalidated again, a drain.
     */
    public static final int KEPT_REGISTRATIONS = 256;

    private final UmmunotifyDevice device;
    private final boolean backgroundDrainer;
    private final EventBuffer events = new EventBuffer(EVENTS_PER_READ);
    private final WatchTable watches;
    private final ReentrantLock drainLock = new ReentrantLock();
    /**
     * The counter value up to which events were consumed: without a ring, user_cookie_counter of
     * the last LAST event read; with one, the counter loaded first by the last drain. The kernel
     * starts it at 0.
     */
    private volatile long lastSeenCounter;
    /** The ring's entries, 0 without a ring. */
    private final int ringEntries;
    /** Ring entries consumed, as published in the tail word. Under the drain lock. */
    private long ringTail;
    /** Drains that took all their events from the ring (written under the drain lock). */
    private volatile long drainsFromRing;
    /** Drains that read() (written under the drain lock). */
    private volatile long drainsWithRead;
    /**
     * The sink owes an {@link InvalidationSink#invalidatedAll()}: an event could not be
     * delivered or understood, or events were taken from the kernel (the tail published, or
     * read()) and a Throwable escaped before all of them were delivered. Cleared only when
     * invalidatedAll() returns, so a drain that died half way leaves it to the next one.
     * Under the drain lock.
     */
    private boolean lostTrack;
    /** The counter of the LAST event the last {@link #readUntilLast()} read. Drain lock. */
    private long lastReadCounter;
    private volatile boolean closed;
    private volatile InvalidationSink sink;

    UmmunotifyInvalidationSource(UmmunotifyDevice device, boolean backgroundDrainer) {
        this(device, backgroundDrainer, KEPT_REGISTRATIONS);
    }

    /**
     * @param keptRegistrations how many registrations of ended watches to keep; ignored (none
     *     kept) unless {@code device} {@linkplain UmmunotifyDevice#reportsAtEnd() reports at
     *     end}
     */
    UmmunotifyInvalidationSource(UmmunotifyDevice device, boolean backgroundDrainer,
            int keptRegistrations) {
        if (keptRegistrations < 0) {
            throw new IllegalArgumentException("keptRegistrations < 0: " + keptRegistrations);
        }
        this.device = Objects.requireNonNull(device, "device");
        this.backgroundDrainer = backgroundDrainer;
        this.watches = new WatchTable(device.reportsAtEnd() ? keptRegistrations : 0);
        this.ringEntries = device.ringEntries();
    }

    /**
     * Opens /dev/ummunotify, without background drainer.
     *
     * @return the open source, to be given to one cache (which closes it)
     * @throws UmmunotifyException naming the remedy (module not loaded, permissions)
     * @throws UnsupportedOperationException on a platform the binding does not support
     */
    public static UmmunotifyInvalidationSource open() {
        return open(Path.of(UmmunotifyAbi.DEVICE_PATH), false);
    }

    /**
     * Opens /dev/ummunotify with a background drainer thread; see the class comment.
     *
     * @return the open source, to be given to one cache (which closes it)
     */
    public static UmmunotifyInvalidationSource openWithBackgroundDrainer() {
        return open(Path.of(UmmunotifyAbi.DEVICE_PATH), true);
    }

    /**
     * Opens the ummunotify device at {@code devicePath}, asking it to leave out invalidations
     * that keep the pages (see {@link #open(Path, boolean, boolean)}).
     *
     * @param devicePath        the device node, normally {@code /dev/ummunotify}
     * @param backgroundDrainer whether a background thread drains events (see the class comment)
     * @return the open source, to be given to one cache (which closes it)
     * @throws UmmunotifyException naming the remedy (module not loaded, permissions)
     */
    public static UmmunotifyInvalidationSource open(Path devicePath, boolean backgroundDrainer) {
        return open(devicePath, backgroundDrainer, true);
    }

    /**
     * Opens the ummunotify device at {@code devicePath}, asking for {@code
     * UMMUNOTIFY_FEATURE_REPORT_AT_END}: with it, registrations of ended watches are kept for a
     * later watch of the same range (see the class comment); a module without it is used as it
     * is, keeping none, with one INFO log line. With {@code skipSamePageInvalidations}
     * it asks the module for {@code UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES}: invalidations after
     * which a watched range maps the same pages (mprotect(), NUMA balancing's scan, fork()'s
     * write-protection, soft-dirty resets) then cost no re-registration. A module without the
     * feature is used as it is, reporting every invalidation, with one INFO log line; {@link
     * #skipsSamePageInvalidations()} tells which. Without {@code skipSamePageInvalidations}
     * every invalidation is reported (the 2010 behaviour).
     *
     * @param devicePath                the device node, normally {@code /dev/ummunotify}
     * @param backgroundDrainer         whether a background thread drains events (see the
     *                                  class comment)
     * @param skipSamePageInvalidations whether to ask for the filter described above
     * @return the open source, to be given to one cache (which closes it)
     * @throws UmmunotifyException naming the remedy (module not loaded, permissions)
     */
    public static UmmunotifyInvalidationSource open(Path devicePath, boolean backgroundDrainer,
            boolean skipSamePageInvalidations) {
        return open(devicePath, backgroundDrainer, skipSamePageInvalidations, true);
    }

    /**
     * {@link #open(Path, boolean, boolean)}, asking for {@code UMMUNOTIFY_FEATURE_EVENT_RING}
     * only when {@code eventRing}: with it the source drains from a ring mapped from the module,
     * without system calls; a module without it, or a ring that cannot be set up, is used with
     * read(), with one INFO log line from the device ({@link #eventRingInUse()} tells which).
     * Without {@code eventRing} (a test's comparison), events are read().
     */
    static UmmunotifyInvalidationSource open(Path devicePath, boolean backgroundDrainer,
            boolean skipSamePageInvalidations, boolean eventRing) {
        NativeUmmunotifyDevice device = NativeUmmunotifyDevice.open(devicePath.toString(),
                skipSamePageInvalidations, eventRing);
        if (skipSamePageInvalidations && !device.skipsSamePages()) {
            LOG.info("{} does not offer UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES (an older module):"
                    + " every invalidation is reported, including mprotect(), NUMA balancing"
                    + " and fork(), each costing a re-registration", devicePath);
        }
        if (!device.reportsAtEnd()) {
            LOG.info("{} does not offer UMMUNOTIFY_FEATURE_REPORT_AT_END (an older module):"
                    + " registrations of ended watches are not kept, every miss makes the"
                    + " UNREGISTER and REGISTER system calls", devicePath);
        }
        return new UmmunotifyInvalidationSource(device, backgroundDrainer);
    }

    @Override
    public void start(InvalidationSink sink) {
        if (this.sink != null) {
            throw new IllegalStateException("already started");
        }
        this.sink = Objects.requireNonNull(sink, "sink");
        if (backgroundDrainer) {
            BackgroundDrainer.start(this, device);
        }
    }

    @Override
    public void watch(long cookie, long address, long length) throws RegistrationException {
        if (closed) {
            throw new IllegalStateException("the ummunotify source is closed");
        }
        long end = address + length;
        if (watches.adopt(cookie, address, end)) {
            return;
        }
        // The recipient first: an event for the new registration may be read by another
        // thread before REGISTER returns (see WatchTable).
        long deviceCookie = watches.reserve(cookie, address, end);
        try {
            registerRegion(address, end, deviceCookie);
        } catch (RegistrationException | RuntimeException e) {
            watches.registrationFailed(cookie, deviceCookie);
            throw e;
        }
        unregisterRegions(watches.registered(cookie, deviceCookie));
    }

    /** REGISTER, retried once after giving back the parked registrations' slots (ENOSPC). */
    private void registerRegion(long start, long end, long deviceCookie)
            throws RegistrationException {
        try {
            device.registerRegion(start, end, deviceCookie);
        } catch (RegistrationException e) {
            if (!e.isResourceExhausted() || watches.parked() == 0) {
                throw e;
            }
            unregisterRegions(watches.unparkAll());
            device.registerRegion(start, end, deviceCookie);
        }
    }

    @Override
    public void unwatch(long cookie) {
        if (closed) {
            return;
        }
        List<Long> ended = watches.release(cookie);
        if (ended == null) {
            LOG.debug("cookie {} was not watched", cookie);
            return;
        }
        unregisterRegions(ended);
    }

    private void unregisterRegions(List<Long> deviceCookies) {
        for (long deviceCookie : deviceCookies) {
            try {
                if (!device.unregisterRegion(deviceCookie)) {
                    LOG.debug("registration {} was not known to ummunotify", deviceCookie);
                }
            } catch (IllegalStateException closedMeanwhile) {
                LOG.debug("unregistration of {} after close", deviceCookie);
                return;
            } catch (UmmunotifyException e) {
                LOG.warn("unregistration of {} failed: {}", deviceCookie, e.getMessage());
            }
        }
    }

    /**
     * {@return how many kernel registrations of ended watches are kept now, for a later watch
     * of the same range} The kernel's count of the file's registrations ({@code
     * registrations:} in its fdinfo) is the live watches plus these. Always 0 unless {@link
     * #reportsInvalidationsAtEnd()}.
     */
    public int keptRegistrations() {
        return watches.parked();
    }

    /**
     * {@return how many watches were served by the registration of an ended watch of the same
     * range, without a system call, since the source was opened}
     */
    public long reusedRegistrations() {
        return watches.adoptions();
    }

    /**
     * {@return whether the device agreed to {@code UMMUNOTIFY_FEATURE_REPORT_AT_END}, without
     * which no registration of an ended watch is kept} Fixed when the source is opened.
     */
    public boolean reportsInvalidationsAtEnd() {
        return device.reportsAtEnd();
    }

    /**
     * Whether the device leaves out invalidations after which a watched range maps the same
     * pages; fixed when the source is opened.
     */
    @Override
    public boolean skipsSamePageInvalidations() {
        return device.skipsSamePages();
    }

    /**
     * {@return how many invalidations of watched ranges the kernel left out because they kept
     * the pages ({@code invalidations_filtered} in the file's fdinfo), or -1 when the module
     * does not say (an older module) or the source is closed} Reads a /proc file: not for the
     * hot path.
     */
    public long invalidationsFilteredByKernel() {
        String text;
        try {
            text = device.fdinfo();
        } catch (IllegalStateException closed) {
            return -1;
        }
        for (String line : text.split("\n")) {
            if (line.startsWith("invalidations_filtered:")) {
                try {
                    return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * Whether the source drains from the module's event ring ({@code
     * UMMUNOTIFY_FEATURE_EVENT_RING}), with loads and one store instead of read() system calls;
     * fixed when the source is opened.
     */
    @Override
    public boolean eventRingInUse() {
        return ringEntries != 0;
    }

    @Override
    public long drainsFromRing() {
        return drainsFromRing;
    }

    @Override
    public long drainsWithRead() {
        return drainsWithRead;
    }

    @Override
    public boolean hasPendingInvalidations() {
        return device.counterAcquire() != lastSeenCounter;
    }

    @Override
    public void drain() {
        drainLock.lock();
        try {
            if (closed) {
                return;
            }
            long counter = device.counterAcquire();
            if (counter != lastSeenCounter) { // else drained while we waited
                if (ringEntries != 0) {
                    drainRing(counter);
                } else {
                    drainByRead(counter);
                }
            }
        } catch (IllegalStateException e) {
            if (!closed) {
                throw e;
            }
            return;
        } finally {
            drainLock.unlock();
        }
        sink.drainCompleted();
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Takes the ring's entries, then, if it overflowed, read()s; {@code counter} is the value
     * the caller loaded first, with acquire. Holds the drain lock.
     *
     * <p><b>Nothing queued before {@code counter} is missed.</b> The kernel writes an entry and
     * stores head with release, or, the ring full, queues the hit for read() and sets OVERFLOW;
     * then it stores the counter with release. We loaded that counter value with acquire, then
     * head and flags with acquire: we see a head that covers every entry written before it,
     * and OVERFLOW if a hit was queued for read() before it (only our own read() clears it,
     * when it empties that queue; UNREGISTER may too, taking away events nobody needs).
     *
     * <p><b>{@code lastSeenCounter} is {@code counter}, the value loaded first</b>, never the
     * one of a LAST event read on overflow: the kernel may write entries after we loaded head,
     * and bumps the counter after each, so those entries are behind a value after {@code
     * counter}, and the next check drains them. The LAST's counter may already include such
     * a bump: taking it would leave those entries in the ring until some later invalidation.
     * (In ring mode a counter move with no new entry is normal: an earlier drain consumed its
     * entries, having loaded a later head than its own counter.)
     *
     * <p><b>Copy, publish the tail, then deliver.</b> Copy before publishing (the release store
     * orders the copying loads before it): the kernel writes over an entry as soon as it sees a
     * tail past it. The publication is followed by a full fence (see {@code
     * MappedEventRing}): no load after it, down to a re-pin's walk of the page tables, is made
     * before the kernel can see the tail. Publish before delivering, as read() takes an event
     * off the kernel's queue before returning it: with REPORT_AT_END the kernel counts a
     * registration as queued while its last entry is not consumed, and reports an invalidation
     * again at its end only to registrations not queued. A watch may adopt the registration and pin its pages only after
     * the delivery; if the invalidation that wrote the entry ends after our publication, its
     * end sees the entry consumed (and the tail moved since it started) and reports again; if
     * it ended before, the pages had changed before the pin. Delivered first, an end between
     * the pin and the publication would report nothing, and the adopter keep old pages.
     *
     * <p><b>Published means owed.</b> The kernel never gives a published entry again, so from
     * the publication until its delivery returns, {@link #lostTrack} is set ({@link
     * #deliverTaken}): a Throwable out of the sink leaves it set, and the next drain pays with
     * invalidatedAll().
     */
    private void drainRing(long counter) {
        long head = device.ringHeadAcquire();
        if (head - ringTail < 0 || head - ringTail > ringEntries) { // a kernel bug
            LOG.warn("ummunotify ring head {} with tail {} ({} entries): invalidating every"
                    + " cached registration", head, ringTail, ringEntries);
            lostTrack = true;
            ringTail = head;
            device.publishRingTail(ringTail);
        }
        while (ringTail != head) {
            int n = (int) Math.min(head - ringTail, events.capacity());
            device.copyRingEntries(ringTail, n, events);
            ringTail += n;
            device.publishRingTail(ringTail);
            deliverTaken(n);
        }
        if (device.ringOverflowAcquire()) {
            drainsWithRead++;
            readUntilLast(); // EAGAIN: UNREGISTER emptied the queue since; nothing to deliver
        } else {
            drainsFromRing++;
        }
        invalidateAllIfLostTrack();
        lastSeenCounter = counter;
    }

    /**
     * Without a ring: read() until a LAST event; delivers every INVAL on the way and remembers
     * the LAST's counter: every INVAL queued before that counter value was returned before it,
     * and the LAST's counter is at least {@code counter}, the value loaded first. Holds the
     * drain lock.
     */
    private void drainByRead(long counter) {
        drainsWithRead++;
        if (!readUntilLast()) {
            if (!lostTrack) { // else owed since an earlier drain died half way: expected
                LOG.warn("ummunotify counter moved ({} -> {}) but read() found no event:"
                        + " invalidating every cached registration", lastSeenCounter, counter);
            }
            lostTrack = true;
            invalidateAllIfLostTrack();
            lastSeenCounter = counter;
            return;
        }
        invalidateAllIfLostTrack();
        lastSeenCounter = lastReadCounter;
    }

    /** Pays what {@link #lostTrack} says the sink is owed. Holds the drain lock. */
    private void invalidateAllIfLostTrack() {
        if (lostTrack) {
            sink.invalidatedAll();
            lostTrack = false;
        }
    }

    /**
     * read()s until a LAST event, delivering every INVAL on the way; sets {@link
     * #lastReadCounter}. {@return false when a read() found nothing (EAGAIN) before the LAST}
     */
    private boolean readUntilLast() {
        for (;;) {
            int n = device.read(events);
            if (n == 0) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (events.type(i) == UmmunotifyAbi.EVENT_TYPE_LAST) {
                    lastReadCounter = events.cookieOrCounter(i);
                    deliverTaken(i); // the LAST is the last record read
                    return true;
                }
            }
            deliverTaken(n);
        }
    }

    /**
     * Delivers records 0 .. n - 1 of {@link #events}, just taken from the kernel (read(), or
     * the ring's tail published past them), which will not give them again: {@link #lostTrack}
     * is set until they are delivered, so a Throwable out of the sink leaves it set for the
     * next drain, and stays set afterwards if one could not be delivered.
     */
    private void deliverTaken(int n) {
        boolean owed = lostTrack;
        lostTrack = true;
        lostTrack = !deliverAll(n) || owed;
    }

    /**
     * Delivers the INVAL records 0 .. n - 1 of {@link #events}. {@return false if one could
     * not be delivered or a record was not an INVAL}
     */
    private boolean deliverAll(int n) {
        boolean all = true;
        for (int i = 0; i < n; i++) {
            int type = events.type(i);
            if (type == UmmunotifyAbi.EVENT_TYPE_INVAL) {
                Long cookie = watches.recipient(events.cookieOrCounter(i));
                if (cookie != null) { // else parked or ended: no watch has it
                    all &= deliver(cookie);
                }
            } else {
                LOG.warn("unexpected ummunotify event type {}", type);
                all = false;
            }
        }
        return all;
    }

    private boolean deliver(long cookie) {
        try {
            sink.invalidated(cookie);
            return true;
        } catch (RuntimeException e) {
            LOG.error("invalidation sink failed on cookie {}", cookie, e);
            return false;
        }
    }

    /** Marks the source closed and closes the device without waiting. Idempotent. */
    @Override
    public void close() {
        closed = true;
        device.close();
    }

    @Override
    public String toString() {
        return "UmmunotifyInvalidationSource{" + device + ", lastSeenCounter=" + lastSeenCounter
                + ", kept=" + watches.parked()
                + (device.skipsSamePages() ? ", skips same-page invalidations" : "")
                + (device.reportsAtEnd() ? ", reports at end" : "")
                + (ringEntries != 0 ? ", ring of " + ringEntries + ", tail " + ringTail : "")
                + (backgroundDrainer ? ", background drainer" : "") + (closed ? ", closed}" : "}");
    }
}
