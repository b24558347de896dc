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
 * it serves now. (Device cookies are not the cache's own: a cache may give a cookie again once
 * its watch ended, while its registration may still be parked under it.)
 *
 * <p><b>Why adopting is safe.</b> The kernel keeps reporting a parked registration (an INVAL
 * is re-armed once read), and the cache pins a range only after its watch returned. An
 * invalidation of a parked range is either read before the adoption, and dropped: it happened
 * before the adopter pinned, so the pages the adopter pins are the new ones; or read after it,
 * and delivered to the adopter: at worst a spurious invalidation, never a stale registration.
 * An event still queued at adoption time is delivered to the adopter as well (the kernel does
 * not queue a second event for a registration with one pending, so that one must not be lost).
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
    private record Watch(long deviceCookie, Range range) {
    }

    private final int maxParked;
    /** Live watches by the cache's cookie. */
    private final Map<Long, Watch> live = new HashMap<>();
    /** Cache cookie by device cookie, for the live watches. */
    private final Map<Long, Long> serving = new HashMap<>();
    /** Parked device cookies by range, oldest first. */
    private final LinkedHashMap<Range, Long> parkedByRange = new LinkedHashMap<>();
    private long lastDeviceCookie;
    private long adoptions;

    /**
     * @param maxParked how many ended registrations to keep for adoption; 0 ends each one
     */
    WatchTable(int maxParked) {
        if (maxParked < 0) {
            throw new IllegalArgumentException("maxParked < 0: " + maxParked);
        }
        this.maxParked = maxParked;
    }

    /**
     * Serves {@code cookie}'s watch of {@code [start, end)} with a parked registration of
     * exactly that range, if there is one.
     *
     * @return whether one was adopted; if not, the caller registers the range with the device
     *     under a {@link #newDeviceCookie()} and reports it with {@link #registered}
     */
    synchronized boolean adopt(long cookie, long start, long end) {
        Range range = new Range(start, end);
        Long device = parkedByRange.remove(range);
        if (device == null) {
            return false;
        }
        live.put(cookie, new Watch(device, range));
        serving.put(device, cookie);
        adoptions++;
        return true;
    }

    /** {@return a device cookie never given before by this table} */
    synchronized long newDeviceCookie() {
        return ++lastDeviceCookie;
    }

    /**
     * Records that the device registered {@code [start, end)} under {@code deviceCookie} (from
     * {@link #newDeviceCookie()}) for {@code cookie}'s watch.
     */
    synchronized void registered(long cookie, long deviceCookie, long start, long end) {
        live.put(cookie, new Watch(deviceCookie, new Range(start, end)));
        serving.put(deviceCookie, cookie);
    }

    /**
     * Ends {@code cookie}'s watch: its registration is parked, unless the bound says otherwise.
     *
     * @return the device cookies to unregister (this one, or parked ones it displaced), or
     *     {@code null} when {@code cookie} is not watched
     */
    synchronized List<Long> release(long cookie) {
        Watch watch = live.remove(cookie);
        if (watch == null) {
            return null;
        }
        serving.remove(watch.deviceCookie());
        List<Long> ended = new ArrayList<>(1);
        if (maxParked == 0) {
            ended.add(watch.deviceCookie());
            return ended;
        }
        Long sameRange = parkedByRange.remove(watch.range());
        if (sameRange != null) {
            ended.add(sameRange);
        }
        parkedByRange.put(watch.range(), watch.deviceCookie());
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
