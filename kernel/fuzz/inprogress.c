// SPDX-License-Identifier: GPL-2.0
/*
 * UMMUNOTIFY_FEATURE_REPORT_AT_END in the oracle: an INVAL read while an
 * invalidation of its registration is in progress must be followed by
 * another one once that invalidation is over.
 *
 * The racer thread now and then "announces" a zap: it maps the
 * ZAP_PAGES-page zap region (after its scratch pages) anew, populates it,
 * writes a pattern naming the zap into the region's last page, publishes
 * the zap (seqlock: an odd sequence number while it is in progress), calls
 * madvise(MADV_DONTNEED) on the whole region (one VMA: one invalidation)
 * and publishes its end (the next, even, number).
 *
 * After each read() of a file that agreed to the feature, the main thread
 * looks whether a zap is announced and whether the read returned an INVAL
 * of a registration intersecting the zap region.  If so, it reads the last
 * page of the region through the page tables (pread() of /proc/self/mem,
 * as a pin would; not a plain load, see ummunotify.rst) and finds the
 * zap's pattern there only if the zap had not reached that page, i.e. its
 * invalidate_range_end had not run, when the read was over.  Then either
 * the zap's invalidate_range_start had run before the read took the
 * registration's event (and the end queues it again: the feature), or it
 * had not (and the start queues it): in both cases the registration is
 * queued again before madvise() returns.  So a read that begins after the
 * zap's end was published must not end with LAST (nor say EAGAIN, nor
 * poll "not readable") before that registration is delivered again,
 * unless it is unregistered.  Only the main thread reads our files, so
 * nothing else can take that event.
 *
 * With an event ring the same holds for entries consumed -- copied and
 * the tail stored past them -- during the zap: its end writes them again,
 * into the ring or, if it is full, for read().  Then only poll() saying
 * "not readable" (nothing queued for read(), nothing left in the ring)
 * proves that the registration did not come again.
 *
 * A forked child has no racer: its copy of the announcement is cleared.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

#define ZAP_PATTERN	0x7a61705f00000000ULL	/* "zap_" and the sequence number */

/* Written by the racer, read by the main thread: a seqlock. */
static struct {
	uint64_t seq;		/* odd while a zap is in progress */
	uint64_t start, end;	/* the zapped range */
	uint64_t probe;		/* the address of its last page */
	uint64_t pattern;	/* its first 8 bytes until zapped */
} zap;

/* The main thread's own state. */
static uint64_t read_begin_seq;	/* zap.seq before the last read/poll began */
static int self_mem = -1;	/* /proc/self/mem */
static unsigned long probes, reads_caught, delivered_again;

uint8_t *zap_region(void)
{
	return P.arena + (ARENA_PAGES + SCRATCH_PAGES) * P.page_size;
}

static uint64_t load(const uint64_t *p, int order)
{
	return __atomic_load_n(p, order);
}

static void store(uint64_t *p, uint64_t v, int order)
{
	__atomic_store_n(p, v, order);
}

/*
 * The racer: one announced zap of the whole zap region.  Returns false if
 * the region could not be mapped (then nothing was announced).
 */
bool zap_announced(void)
{
	uint8_t *region = zap_region();
	size_t len = ZAP_PAGES * P.page_size;
	uint64_t seq = load(&zap.seq, __ATOMIC_RELAXED) + 1;
	uint64_t pattern = ZAP_PATTERN | (seq & 0xffffffff);
	uint8_t *last = region + len - P.page_size;

	if (mmap(region, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != region)
		return false;
	/* Small pages, each mapped: the zap clears ZAP_PAGES entries. */
	madvise(region, len, MADV_NOHUGEPAGE);
	madvise(region, len, MADV_POPULATE_WRITE);
	memcpy(last, &pattern, sizeof(pattern));

	/* The last zap's even number is seen before the fields change. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store(&zap.start, (uintptr_t)region, __ATOMIC_RELAXED);
	store(&zap.end, (uintptr_t)region + len, __ATOMIC_RELAXED);
	store(&zap.probe, (uintptr_t)last, __ATOMIC_RELAXED);
	store(&zap.pattern, pattern, __ATOMIC_RELAXED);
	store(&zap.seq, seq, __ATOMIC_RELEASE);		/* odd: in progress */
	madvise(region, len, MADV_DONTNEED);
	store(&zap.seq, seq + 1, __ATOMIC_RELEASE);	/* even: returned */
	return true;
}

/* A forked child (no racer): forget a zap the parent was making. */
void zap_forget(void)
{
	store(&zap.seq, (load(&zap.seq, __ATOMIC_RELAXED) + 1) & ~1ULL, __ATOMIC_RELAXED);
	if (self_mem >= 0)
		close(self_mem);
	self_mem = -1;
}

/* Whether the racer has announced a zap that has not returned yet. */
bool zap_in_progress(void)
{
	return load(&zap.seq, __ATOMIC_ACQUIRE) & 1;
}

/* Whether @u agreed to the feature and watches part of the zap region. */
bool zap_watched(struct ufd *u)
{
	uintptr_t start = (uintptr_t)zap_region(), end = start + ZAP_PAGES * P.page_size;
	unsigned int i;

	if (!u->open || u->foreign || !(u->features & UMMUNOTIFY_FEATURE_REPORT_AT_END))
		return false;
	for (i = 0; i < u->nregs; i++)
		if (u->regs[i].start < end && u->regs[i].end > start)
			return true;
	return false;
}

/*
 * Makes a file of ours that agreed to the feature watch the zap region
 * (a new registration of all of it) and returns it; NULL if there is no
 * such file with room for one more registration.
 */
struct ufd *zap_watcher(void)
{
	struct ummunotify_register_ioctl arg = { 0 };
	struct ufd *u;
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++) {
		u = &P.fds[i];
		if (u->open && !u->foreign && (u->features & UMMUNOTIFY_FEATURE_REPORT_AT_END) &&
		    u->nregs < MAX_REGS)
			break;
	}
	if (i == MAX_FDS)
		return NULL;
	arg.start = (uintptr_t)zap_region();
	arg.end = arg.start + ZAP_PAGES * P.page_size;
	do
		arg.user_cookie = rng_next(&P.rng);
	while (reg_find(u, arg.user_cookie));
	set_what("REGISTER fd#%u on the zap region, cookie %#llx", u->id,
		 (unsigned long long)arg.user_cookie);
	if (!check_errno(ioctl(u->fd, UMMUNOTIFY_REGISTER_REGION, &arg), 0, "REGISTER"))
		return NULL;
	reg_add(u, arg.user_cookie, arg.start, arg.end);
	mark_used(u, true);
	return u;
}

/* Before a read() or poll() of one of our files. */
void zap_read_begins(void)
{
	read_begin_seq = load(&zap.seq, __ATOMIC_ACQUIRE);
}

/*
 * The registrations whose INVAL a read returned while an announced zap of
 * their range was still in progress: those of @ev[0..@n) of @u that
 * intersect the zap region, if the zap's pattern is still in its last page
 * now that the read is over.  Returns how many it put in @owing, and sets
 * *@seq to the zap's sequence number.
 */
static unsigned int read_in_zap(struct ufd *u, const struct ummunotify_event *ev, long n,
				struct reg **owing, uint64_t *seq)
{
	uint64_t start, end, probe, pattern, word = 0;
	unsigned int found = 0;
	struct reg *r;
	long k;

	*seq = load(&zap.seq, __ATOMIC_ACQUIRE);
	if (!(*seq & 1))
		return 0;
	start = load(&zap.start, __ATOMIC_RELAXED);
	end = load(&zap.end, __ATOMIC_RELAXED);
	probe = load(&zap.probe, __ATOMIC_RELAXED);
	pattern = load(&zap.pattern, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (load(&zap.seq, __ATOMIC_RELAXED) != *seq)
		return 0;	/* over already: the fields may be the next zap's */
	for (k = 0; k < n; k++) {
		if (ev[k].type != UMMUNOTIFY_EVENT_TYPE_INVAL)
			continue;
		r = reg_find(u, ev[k].user_cookie_counter);
		if (r && r->start < end && r->end > start && found < MAX_REGS)
			owing[found++] = r;
	}
	if (!found)
		return 0;
	if (self_mem < 0)
		self_mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	probes++;
	/* Its pattern: the zap had not reached the page when the read was over. */
	if (pread(self_mem, &word, sizeof(word), (off_t)probe) != sizeof(word) ||
	    word != pattern)
		return 0;
	return found;
}

/*
 * In their order: an INVAL of @ev[0..@n) pays what its registration owed
 * and a LAST must find nothing owed (zap_check_owed()) -- but with a ring,
 * where what is owed may wait.
 */
static void settle(struct ufd *u, const struct ummunotify_event *ev, long n)
{
	struct reg *r;
	long k;

	for (k = 0; k < n; k++) {
		if (ev[k].type == UMMUNOTIFY_EVENT_TYPE_LAST) {
			if (!ring_made(u))
				zap_check_owed(u, "LAST");
			continue;
		}
		r = reg_find(u, ev[k].user_cookie_counter);
		if (r && r->again_by) {
			delivered_again++;
			r->again_by = 0;
		}
	}
}

/* The registrations of @ev[0..@n) delivered while a zap of them was in progress owe one more. */
static void owe_again(struct ufd *u, const struct ummunotify_event *ev, long n)
{
	struct reg *owing[MAX_REGS];
	unsigned int found, i;
	uint64_t seq;

	found = read_in_zap(u, ev, n, owing, &seq);
	if (found)
		reads_caught++;
	for (i = 0; i < found; i++)
		owing[i]->again_by = seq + 1;
}

/* After read() returned @bytes of events of @u, which the oracle has seen. */
void zap_after_read(struct ufd *u, const void *buf, long bytes)
{
	if (u->foreign || !(u->features & UMMUNOTIFY_FEATURE_REPORT_AT_END))
		return;
	settle(u, buf, bytes / EVENT_SIZE);
	owe_again(u, buf, bytes / EVENT_SIZE);
}

/*
 * After the oracle checked @n entries of @u's ring, @ev (copied), and, if
 * @published, the tail was stored past them: the kernel counts only those
 * as consumed.
 */
void zap_after_consume(struct ufd *u, const struct ummunotify_event *ev, long n, bool published)
{
	if (u->foreign || !(u->features & UMMUNOTIFY_FEATURE_REPORT_AT_END))
		return;
	settle(u, ev, n);
	if (published)
		owe_again(u, ev, n);
}

/*
 * A LAST (@how: or EAGAIN, or "not readable") of @u from a read or poll
 * that began after a zap published its end: nothing may be owed for it.
 */
void zap_check_owed(struct ufd *u, const char *how)
{
	unsigned int i;
	struct reg *r;

	for (i = 0; i < u->nregs; i++) {
		r = &u->regs[i];
		if (!r->again_by || read_begin_seq < r->again_by)
			continue;
		check(false,
		      "fd#%u: %s, but cookie %#llx [%#llx, %#llx), whose INVAL was read while the racer's zap of it was in progress (old page after the read), did not come again after that zap returned",
		      u->id, how, (unsigned long long)r->cookie, (unsigned long long)r->start,
		      (unsigned long long)r->end);
		r->again_by = 0;
	}
}

/* The worker's last words on this property. */
void zap_report(void)
{
	say("# %s: REPORT_AT_END: %lu reads during racer zaps, %lu in the window, %lu owed came",
	    P.name, probes, reads_caught, delivered_again);
}
