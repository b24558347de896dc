package org.regcache.ummu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which kernel registration serves each watch of the cache, and the registrations kept after
 * their watch ended ("parked") for a later watch of exactly the same range.
 *
 * <p><b>Why.</b> After an invalidation the cache usually registers again the very range it lost:
 * memory freed and allocated again at the same address, a buffer unmapped and mapped again.
 * Unregistering the old watch and registering the same range anew costs two system calls on
 * every such miss; adopting the parked kernel registration costs none. A registration is
 * named in the kernel by its <i>device cookie</i>, drawn here (1, 2, 3, ...) and kept for its
 * whole life, whichever watch it serves; this table maps it to the cache's cookie of the watch
 * it serves now, its <i>recipient</i>. (Device cookies are not the cache's own: a cache may
 * give a cookie again once its watch ended, while its registration may still be parked under
 * it.) An INVAL of a device cookie without a recipient (parked, or ended) concerns nobody.
 *
 * <p>What the cache needs from a watch (see {@code InvalidationSource.watch}): once it returns,
 * every invalidation of the range that was in progress (started, not yet ended) or begins later
 * is delivered to the watch's cookie. The cache pins the pages after that, so an invalidation
 * that ended before is harmless: the pin takes the new pages.
 *
 * <p><b>Why a fresh registration is enough.</b> The recipient is named ({@link #reserve})
 * <i>before</i> the REGISTER ioctl and forgotten if it fails. The ioctl takes effect at one
 * instant K under the kernel's lock. An invalidation that begins after K queues an event for
 * the device cookie; one in progress at K makes REGISTER queue an event at once (its check of
 * the invalidations in progress, {@code active[]}). Either event is read after K, so after the
 * recipient was named, whichever thread reads it (another acquirer's drain, the background
 * drainer) even while REGISTER has not returned yet: it is delivered. (Naming the recipient
 * only after REGISTER returned dropped exactly those events read in between.)
 *
 * <p><b>Why adopting is safe, and only with {@code UMMUNOTIFY_FEATURE_REPORT_AT_END}.</b>
 * Adoption makes no ioctl, so no in-progress check. Reading an event proves only that its
 * invalidation <i>started</i>: between the kernel's {@code invalidate_range_start} (event
 * queued, counter moved) and {@code invalidate_range_end} the pages are still being replaced,
 * and an adopter may pin the old ones in that window. Let a watch adopt registration d at
 * instant A and pin after A; take any invalidation I of the range not ended at A:
 * <ul>
 * <li>I starts after A: it queues (or merges into) an event for d, read after A: delivered to
 *     the adopter.
 * <li>I started before A and d's event was still queued at A: read after A, delivered to the
 *     adopter (read() queues no second event for a registration with one queued, and a ring
 *     entry is its own event; either way the one queued is handed on, not dropped).
 * <li>I started before A and d's event was taken off the kernel's queue (or its ring entry
 *     consumed: the tail published) before A (and delivered to the previous watch, dropped
 *     while parked, or, looked up after A, delivered to the adopter): at I's end d has no
 *     event queued, or one queued since, which is read after I's end. With REPORT_AT_END
 *     the end queues an event for d again (and moves the counter) after the pages changed
 *     and before the invalidating call returns: read after A, delivered to the adopter,
 *     seen by every acquire that begins after the call returned. Without it, nothing
 *     follows: the adopter keeps the old pages for good.
 * </ul>
 * At worst a spurious invalidation, never a stale registration. So the source parks nothing
 * ({@code maxParked} 0) unless the device agreed to REPORT_AT_END. (With it, the same end
 * report would also repair an event dropped for want of a recipient; the fresh registration
 * argument above holds without it.)
 *
 * <p><b>A watch released while its REGISTER is in flight</b> (by {@code invalidatedAll()} or
 * the cache's close() while another thread registers, or by its in-progress event delivered
 * before REGISTER returned) is not parked or unregistered then: the ioctl may not have taken
 * effect yet (an UNREGISTER would fail, the REGISTER then leak; a parked, unregistered range
 * could be adopted and report nothing). {@link #registered} ends it once REGISTER returned;
 * {@link #registrationFailed} forgets it.
 *
 * <p><b>Cost of a parked registration</b>: its kernel memory (about 120 bytes), one slot of the
 * file's {@code max_regions} (given back when a registration fails for lack of slots), and the
 * events of later invalidations of its range, which move the counter and so cost a drain. Hence
 * the bound: at most {@code maxParked}, the oldest given up first, and one per range.
 *
 * <p><b>Thread safety.</b> Every method is synchronized; none calls the device. Those that end
 * registrations return the device cookies the caller must unregister.
 */
final class WatchTable {
    /** The range of a kernel registration. */
    private record Range(long start, long end) {
    }

    /** A watch of the cache: the kernel registration serving it. */
    private static final class Watch {
        final long deviceCookie;
        final Range range;
        /** Its REGISTER ioctl has not returned yet. */
        boolean registering;

        Watch(long deviceCookie, Range range, boolean registering) {
            this.deviceCookie = deviceCookie;
            this.range = range;
            this.registering = registering;
        }
    }

    private final int maxParked;
    /** Live watches by the cache's cookie. */
    private final Map<Long, Watch> live = new HashMap<>();
    /** Cache cookie by device cookie, for the live watches: the recipients. */
    private final Map<Long, Long> serving = new HashMap<>();
    /** Parked device cookies by range, oldest first. */
    private final LinkedHashMap<Range, Long> parkedByRange = new LinkedHashMap<>();
    /** Ranges by device cookie of watches released while their REGISTER was in flight. */
    private final Map<Long, Range> releasedWhileRegistering = new HashMap<>();
    private long lastDeviceCookie;
    private long adoptions;

    /**
     * @param maxParked how many ended registrations to keep for adoption; 0 ends each one
     *     (the only safe choice unless the device reports at end, see the class comment)
     */
    WatchTable(int maxParked) {
        if (maxParked < 0) {
            throw new IllegalArgumentException("maxParked < 0: " + maxParked);
        }
        this.maxParked = maxParked;
    }

    /**
     * Serves {@code cookie}'s watch of {@code [start, end)} with a parked registration of
     * exactly that range, if there is one; from now on its events go to {@code cookie}.
     *
     * @return whether one was adopted; if not, the caller {@link #reserve}s a device cookie
     */
    synchronized boolean adopt(long cookie, long start, long end) {
        Range range = new Range(start, end);
        Long device = parkedByRange.remove(range);
        if (device == null) {
            return false;
        }
        live.put(cookie, new Watch(device, range, false));
        serving.put(device, cookie);
        adoptions++;
        return true;
    }

    /**
     * Names {@code cookie} the recipient of a new device cookie, before the caller registers
     * {@code [start, end)} under it; the caller then reports the outcome with {@link
     * #registered} or {@link #registrationFailed}.
     *
     * @return the device cookie, never given before by this table
     */
    synchronized long reserve(long cookie, long start, long end) {
        long deviceCookie = ++lastDeviceCookie;
        live.put(cookie, new Watch(deviceCookie, new Range(start, end), true));
        serving.put(deviceCookie, cookie);
        return deviceCookie;
    }

    /**
     * The device registered {@code deviceCookie} (from {@link #reserve}) for {@code cookie}.
     *
     * @return the device cookies to unregister: none, unless the watch was released meanwhile
     *     and its registration is not parked
     */
    synchronized List<Long> registered(long cookie, long deviceCookie) {
        Range released = releasedWhileRegistering.remove(deviceCookie);
        if (released != null) {
            return end(deviceCookie, released);
        }
        Watch watch = live.get(cookie);
        if (watch != null && watch.deviceCookie == deviceCookie) {
            watch.registering = false;
        }
        return List.of();
    }

    /**
     * The device refused to register {@code deviceCookie} (from {@link #reserve}) for {@code
     * cookie}: forgets the watch, which never existed in the kernel.
     */
    synchronized void registrationFailed(long cookie, long deviceCookie) {
        if (releasedWhileRegistering.remove(deviceCookie) != null) {
            return;
        }
        Watch watch = live.get(cookie);
        if (watch != null && watch.deviceCookie == deviceCookie) {
            live.remove(cookie);
            serving.remove(deviceCookie);
        }
    }

    /**
     * Ends {@code cookie}'s watch: its registration is parked, unless the bound says otherwise.
     * Events of its device cookie concern nobody from now on.
     *
     * @return the device cookies to unregister (this one, or parked ones it displaced; none
     *     while its REGISTER is in flight), or {@code null} when {@code cookie} is not watched
     */
    synchronized List<Long> release(long cookie) {
        Watch watch = live.remove(cookie);
        if (watch == null) {
            return null;
        }
        serving.remove(watch.deviceCookie);
        if (watch.registering) {
            releasedWhileRegistering.put(watch.deviceCookie, watch.range);
            return List.of();
        }
        return end(watch.deviceCookie, watch.range);
    }

    /** Parks a registration that serves no watch, or ends it: {@return what to unregister} */
    private List<Long> end(long deviceCookie, Range range) {
        List<Long> ended = new ArrayList<>(1);
        if (maxParked == 0) {
            ended.add(deviceCookie);
            return ended;
        }
        Long sameRange = parkedByRange.remove(range);
        if (sameRange != null) {
            ended.add(sameRange);
        }
        parkedByRange.put(range, deviceCookie);
        Iterator<Map.Entry<Range, Long>> oldestFirst = parkedByRange.entrySet().iterator();
        while (parkedByRange.size() > maxParked) {
            Long oldest = oldestFirst.next().getValue();
            oldestFirst.remove();
            ended.add(oldest);
        }
        return ended;
    }

    /**
     * {@return the cookie of the watch an INVAL of {@code deviceCookie} is for, or {@code null}
     * when no watch has it: parked, or ended} (An event of an ended registration may still be
     * read after its UNREGISTER was decided; it concerns nobody.)
     */
    synchronized Long recipient(long deviceCookie) {
        return serving.get(deviceCookie);
    }

    /** Ends every parked registration: {@return their device cookies, to unregister} */
    synchronized List<Long> unparkAll() {
        List<Long> ended = new ArrayList<>(parkedByRange.values());
        parkedByRange.clear();
        return ended;
    }

    /** {@return how many registrations are parked now} */
    synchronized int parked() {
        return parkedByRange.size();
    }

    /** {@return how many watches were served by a parked registration so far} */
    synchronized long adoptions() {
        return adoptions;
    }
}
