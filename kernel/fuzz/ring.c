// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring in the oracle (UMMUNOTIFY_FEATURE_EVENT_RING).
 *
 * Every hit of a registration that is not queued for read() is one ring
 * entry with that hit's own hint, if the ring has room; if not, the
 * registration is queued for read() as in 2010 (later hits merge into
 * it) and the ring's OVERFLOW flag says that read() has events.  Only
 * this process stores into a ring's tail word and only it reads its
 * files, so the oracle knows exactly the tail the kernel goes by (struct
 * ring) and checks:
 *
 * - every entry is an INVAL with FLAG_HINT of a registration with its
 *   cookie that was live when the entry was written (UNREGISTER does not
 *   take entries back: struct retired), its hint inside that range;
 * - the head never goes back nor gets more than the ring's size ahead of
 *   the kernel's tail; fdinfo shows the ring's size, the kernel's tail
 *   exactly (a bogus tail is ignored), OVERFLOW exactly while events are
 *   queued for read(), and the mapped flag agrees (only we clear it);
 * - nothing is lost: a registration our invalidation hit is delivered by
 *   read() or by an entry below the head after the hit.  Checking the
 *   ring that far without finding it means it is queued for read(), so
 *   OVERFLOW must be set; a LAST or EAGAIN before that means it is not
 *   queued for read(), so the ring must have it (reg.in_ring);
 * - exactly once: across an invalidation of ours that alone moved the
 *   counter (fdinfo before and after: the racer's, the kernel's own and
 *   REPORT_AT_END's reports move it more), the entries written are one
 *   per registration it hit, never two, each hint inside the invalidated
 *   range; a registration it hit without an entry was queued for read()
 *   before, or is now because the ring filled.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"

/* What ring_report() prints. */
static unsigned long rings_made, entries_checked, exact_checks, bogus_tails, overflows;

/* Whether @u agreed to UMMUNOTIFY_FEATURE_EVENT_RING. */
bool ring_agreed(const struct ufd *u)
{
	return u->features & UMMUNOTIFY_FEATURE_EVENT_RING;
}

bool ring_made(const struct ufd *u)
{
	return u->ring.entries;
}

/* A mapping of @u's ring (they are never made unreadable), or NULL. */
const struct ummunotify_ring *ring_map(const struct ufd *u)
{
	return u->ring.nmaps ? u->ring.maps[0] : NULL;
}

static size_t ring_len(const struct ufd *u)
{
	return UMMUNOTIFY_RING_LEN((size_t)P.page_size, u->ring.entries);
}

/* UMMUNOTIFY_SETUP_RING made @entries with the tail word @tail in @page. */
void ring_start(struct ufd *u, uint32_t entries, uint8_t *page, uint64_t *tail)
{
	memset(&u->ring, 0, sizeof(u->ring));
	u->ring.entries = entries;
	u->ring.tail_page = page;
	u->ring.tail = tail;
	u->ring.tail_pinned = true;
	rings_made++;
}

/* A head read from the mapping or fdinfo (@where): never back, never too far. */
static void check_head(struct ufd *u, uint64_t head, const char *where)
{
	struct ring *ring = &u->ring;

	check(head >= ring->head, "fd#%u: the ring's head went back from %" PRIu64 " to %" PRIu64
	      " (%s)", u->id, ring->head, head, where);
	check(head - ring->ktail <= ring->entries,
	      "fd#%u: ring head %" PRIu64 " (%s) is more than %u entries ahead of the tail %"
	      PRIu64, u->id, head, where, ring->entries, ring->ktail);
	if (head > ring->head)
		ring->head = head;
}

/*
 * The head now: through the mapping (acquire, pairing with the kernel's
 * release, so that the entries below it are readable), else fdinfo's.
 */
uint64_t ring_head_now(struct ufd *u)
{
	const struct ummunotify_ring *map = ring_map(u);
	struct fdinfo fi;

	if (map)
		check_head(u, __atomic_load_n(&map->head, __ATOMIC_ACQUIRE), "mapped");
	else if (read_fdinfo(u->fd, &fi))
		check_head(u, fi.ring_head, "fdinfo");
	return u->ring.head;
}

/* The mapped flags now, 0 without a mapping. */
uint32_t ring_flags_now(const struct ufd *u)
{
	const struct ummunotify_ring *map = ring_map(u);

	return map ? __atomic_load_n(&map->flags, __ATOMIC_ACQUIRE) : 0;
}

/* After every operation: every mapping shows the ring, its head checked. */
void ring_observe(struct ufd *u)
{
	unsigned int i;

	for (i = 0; i < u->ring.nmaps; i++) {
		check(u->ring.maps[i]->entries == u->ring.entries,
		      "fd#%u: the ring mapping says %u entries, not %u", u->id,
		      u->ring.maps[i]->entries, u->ring.entries);
		check_head(u, __atomic_load_n(&u->ring.maps[i]->head, __ATOMIC_ACQUIRE), "mapped");
	}
}

const struct ummunotify_event *ring_entry(const struct ufd *u, const struct ummunotify_ring *map,
					  uint64_t seq)
{
	const struct ummunotify_event *ev = (const void *)((const uint8_t *)map + P.page_size);

	return &ev[seq & (u->ring.entries - 1)];
}

static bool hint_inside(const struct ummunotify_event *ev, uint64_t start, uint64_t end)
{
	return start <= ev->hint_start && ev->hint_start < ev->hint_end && ev->hint_end <= end;
}

/* Whether entry @seq, @ev, may be of a registration unregistered since. */
static bool retired_match(const struct ufd *u, uint64_t seq, const struct ummunotify_event *ev)
{
	const struct retired *t;
	unsigned int i;

	for (i = 0; i < u->ring.nretired; i++) {
		t = &u->ring.retired[i];
		if (t->cookie == ev->user_cookie_counter && seq < t->until &&
		    hint_inside(ev, t->start, t->end))
			return true;
	}
	return seq < u->ring.retired_lost;
}

/* Entry @seq of @u's ring, @ev (copied), as a consumer sees it; delivers it. */
void ring_check_entry(struct ufd *u, uint64_t seq, const struct ummunotify_event *ev)
{
	uint64_t cookie = ev->user_cookie_counter;
	struct reg *r = reg_find(u, cookie);

	entries_checked++;
	if (!check(ev->type == UMMUNOTIFY_EVENT_TYPE_INVAL &&
		   ev->flags == UMMUNOTIFY_EVENT_FLAG_HINT,
		   "fd#%u: ring entry %" PRIu64 ": type %u flags %#x, not an INVAL with FLAG_HINT",
		   u->id, seq, ev->type, ev->flags))
		return;
	if (r && seq >= r->ring_from && hint_inside(ev, r->start, r->end)) {
		r->must_report = false;
		r->in_ring = false;
		return;
	}
	check(retired_match(u, seq, ev),
	      "fd#%u: ring entry %" PRIu64 ": cookie %#" PRIx64
	      " hint [%#llx, %#llx) is not inside a registration with that cookie live when it was written",
	      u->id, seq, cookie, (unsigned long long)ev->hint_start,
	      (unsigned long long)ev->hint_end);
}

/*
 * The consumer checked the ring up to @seq.  A registration still owed
 * whose hit came before that head is not in the ring: it is queued for
 * read() (OVERFLOW set), unless a LAST said it was not -- then it is lost.
 */
void ring_checked_to(struct ufd *u, uint64_t seq)
{
	uint32_t flags = ring_flags_now(u);
	struct ring *ring = &u->ring;
	unsigned int i = 0;
	struct reg *r;

	ring->consumed = seq;
	overflows += !!(flags & UMMUNOTIFY_RING_OVERFLOW);
	while (i < ring->nretired) {
		if (ring->retired[i].until <= seq)
			ring->retired[i] = ring->retired[--ring->nretired];
		else
			i++;
	}
	for (i = 0; i < u->nregs; i++) {
		r = &u->regs[i];
		if (!r->must_report || r->ring_by > seq)
			continue;
		if (r->in_ring) {
			check(false,
			      "fd#%u: cookie %#" PRIx64 " [%#" PRIx64 ", %#" PRIx64
			      ") hit by our invalidation: not in the ring below %" PRIu64
			      " (its head after the hit) nor queued for read() (a LAST came): lost",
			      u->id, r->cookie, r->start, r->end, r->ring_by);
			r->must_report = false;
			r->in_ring = false;
			continue;
		}
		check(flags & UMMUNOTIFY_RING_OVERFLOW,
		      "fd#%u: cookie %#" PRIx64 " [%#" PRIx64 ", %#" PRIx64
		      ") hit by our invalidation: not in the ring below %" PRIu64
		      ", so queued for read(), but the ring's OVERFLOW flag is clear",
		      u->id, r->cookie, r->start, r->end, r->ring_by);
	}
}

/*
 * Nothing is queued for read() (a LAST or EAGAIN): whether @r, still owed,
 * may be in the part of the ring not checked yet; it must be, then.
 */
bool ring_may_hold(struct ufd *u, struct reg *r)
{
	if (!ring_made(u) || !r->ring_by || r->ring_by <= u->ring.consumed)
		return false;
	r->in_ring = true;
	return true;
}

/* Whether @r, owed, must be queued for read(): the ring cannot hold it. */
bool ring_owed_on_list(const struct ufd *u, const struct reg *r)
{
	return !r->in_ring && (!ring_made(u) || !r->ring_by || r->ring_by <= u->ring.consumed);
}

/* Stores @tail into the tail word (release: after the entries were copied). */
void ring_publish(struct ufd *u, uint64_t tail)
{
	struct ring *ring = &u->ring;

	if (!ring->tail)
		return;
	__atomic_store_n(ring->tail, tail, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* before any probe of the pages */
	ring->tail_bogus = false;
	if (ring->tail_pinned)
		ring->ktail = tail;
}

/*
 * Stores a tail the kernel must ignore: one it could never reach from its
 * tail (more than the ring's size ahead of it) or one going back.
 */
void ring_publish_bogus(struct ufd *u)
{
	struct ring *ring = &u->ring;
	uint64_t bogus;
	struct fdinfo fi;

	if (!ring->tail || !ring->tail_pinned)
		return;
	/* The kernel reads the valid tail first: the bogus one must not hide it. */
	ring_fdinfo(u, &fi);
	if (ring->ktail && rng_percent(&P.rng, 40))
		bogus = rng_below(&P.rng, ring->ktail);
	else if (rng_percent(&P.rng, 50))
		bogus = ring->ktail + ring->entries + 1 + rng_below(&P.rng, 1ULL << 40);
	else
		bogus = rng_percent(&P.rng, 50) ? ~0ULL : 1ULL << 63;
	set_what("fd#%u: store the bogus tail %#" PRIx64 " (the kernel's is %" PRIu64 ")", u->id,
		 bogus, ring->ktail);
	__atomic_store_n(ring->tail, bogus, __ATOMIC_RELEASE);
	ring->tail_bogus = true;
	bogus_tails++;
	ring_fdinfo(u, &fi);
}

/*
 * fdinfo @fi of @u, read after the mapped flags were @flags_before: its
 * ring lines agree with the oracle and with the mapping.
 */
void ring_check_fdinfo(struct ufd *u, const struct fdinfo *fi, uint32_t flags_before)
{
	bool overflow = fi->ring_flags & UMMUNOTIFY_RING_OVERFLOW;

	check(fi->ring_entries == u->ring.entries, "fd#%u: fdinfo ring_entries %" PRIu64 ", not %u",
	      u->id, fi->ring_entries, u->ring.entries);
	if (!ring_made(u)) {
		check(!fi->ring_head && !fi->ring_tail && !fi->ring_flags,
		      "fd#%u: no ring, but fdinfo ring_head %" PRIu64 " ring_tail %" PRIu64
		      " ring_flags %#" PRIx64, u->id, fi->ring_head, fi->ring_tail, fi->ring_flags);
		return;
	}
	check(fi->ring_tail == u->ring.ktail,
	      "fd#%u: fdinfo ring_tail %" PRIu64 ", but the last valid tail stored is %"
	      PRIu64 "%s",
	      u->id, fi->ring_tail, u->ring.ktail,
	      u->ring.tail_bogus ? " (a bogus one was stored since)" : "");
	check_head(u, fi->ring_head, "fdinfo");
	check(!(fi->ring_flags & ~(uint64_t)UMMUNOTIFY_RING_OVERFLOW),
	      "fd#%u: fdinfo ring_flags %#" PRIx64 " has unknown bits", u->id, fi->ring_flags);
	check(overflow == (fi->queued > 0),
	      "fd#%u: fdinfo ring_flags %#" PRIx64 " with %" PRIu64 " events queued for read()",
	      u->id, fi->ring_flags, fi->queued);
	if (!ring_map(u))
		return;
	check(!(flags_before & UMMUNOTIFY_RING_OVERFLOW) || fi->queued,
	      "fd#%u: the mapped OVERFLOW flag was set, but fdinfo then shows nothing queued for read()",
	      u->id);
	check(!fi->queued || (ring_flags_now(u) & UMMUNOTIFY_RING_OVERFLOW),
	      "fd#%u: fdinfo shows %" PRIu64
	      " events queued for read(), the mapped OVERFLOW flag is clear",
	      u->id, fi->queued);
}

/* Reads @u's fdinfo into @fi and checks its ring lines; false if a line is missing. */
bool ring_fdinfo(struct ufd *u, struct fdinfo *fi)
{
	uint32_t flags_before = ring_flags_now(u);

	if (!read_fdinfo(u->fd, fi))
		return false;
	ring_check_fdinfo(u, fi, flags_before);
	return true;
}

/*
 * UNREGISTER of @r succeeded: its entries below the head now may still
 * be read.  When the list is full the oldest is forgotten, and any entry
 * below its head accepted.
 */
void ring_unregistered(struct ufd *u, const struct reg *r)
{
	struct ring *ring = &u->ring;
	struct retired *t;

	if (!ring_made(u))
		return;
	if (ring->nretired == MAX_RETIRED) {
		if (ring->retired[0].until > ring->retired_lost)
			ring->retired_lost = ring->retired[0].until;
		ring->retired[0] = ring->retired[--ring->nretired];
	}
	t = &ring->retired[ring->nretired++];
	t->cookie = r->cookie;
	t->start = r->start;
	t->end = r->end;
	t->until = ring_head_now(u);
}

/* fdinfo of the ring files before an invalidation of ours (ring_hits_end()). */
static struct {
	bool taken;
	struct fdinfo fi;
} before[MAX_FDS];

void ring_hits_begin(void)
{
	struct ufd *u;
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++) {
		u = &P.fds[i];
		before[i].taken = u->open && !u->foreign && ring_made(u) && u->nregs &&
				  ring_fdinfo(u, &before[i].fi);
	}
}

/*
 * One invalidation, ours, of (at most) [@lo, @hi) moved @u's counter
 * between fdinfo @b and @a; it hit the registrations in @hit, and maybe
 * others (it may cover unmapped pages): the exactly-once check above.
 */
static void check_one_invalidation(struct ufd *u, const struct fdinfo *b, const struct fdinfo *a,
				   const bool *hit, uint64_t lo, uint64_t hi, const char *how)
{
	const struct ummunotify_ring *map = ring_map(u);
	bool filled = a->ring_head - a->ring_tail == u->ring.entries;
	bool seen[MAX_REGS] = { false };
	struct ummunotify_event ev;
	unsigned int j, missing = 0;
	uint64_t seq;
	struct reg *r;

	exact_checks++;
	if (!check(a->ring_tail == b->ring_tail && a->ring_head - b->ring_head <= u->ring.entries,
		   "fd#%u: %s: ring head %" PRIu64 " -> %" PRIu64 ", tail %" PRIu64 " -> %" PRIu64,
		   u->id, how, b->ring_head, a->ring_head, b->ring_tail, a->ring_tail))
		return;
	for (seq = b->ring_head; seq < a->ring_head; seq++) {
		memcpy(&ev, ring_entry(u, map, seq), sizeof(ev));
		r = reg_find(u, ev.user_cookie_counter);
		if (!check(r, "fd#%u: %s wrote ring entry %" PRIu64
			   " for cookie %#llx, not registered", u->id, how, seq,
			   (unsigned long long)ev.user_cookie_counter))
			continue;
		j = r - u->regs;
		check(!seen[j], "fd#%u: %s (one invalidation) wrote two ring entries for cookie %#"
		      PRIx64, u->id, how, r->cookie);
		seen[j] = true;
		check(hint_inside(&ev, r->start > lo ? r->start : lo, r->end < hi ? r->end : hi),
		      "fd#%u: %s of [%#" PRIx64 ", %#" PRIx64 "): ring entry %" PRIu64
		      " for cookie %#" PRIx64 " [%#" PRIx64 ", %#" PRIx64
		      ") has the hint [%#llx, %#llx)",
		      u->id, how, lo, hi, seq, r->cookie, r->start, r->end,
		      (unsigned long long)ev.hint_start, (unsigned long long)ev.hint_end);
	}
	for (j = 0; j < u->nregs; j++)
		missing += hit[j] && !seen[j];
	check(a->queued >= b->queued && (filled || a->queued == b->queued),
	      "fd#%u: %s: events queued for read() %" PRIu64 " -> %" PRIu64
	      " though the ring (head %" PRIu64 ", tail %" PRIu64 ") had room",
	      u->id, how, b->queued, a->queued, a->ring_head, a->ring_tail);
	check(missing <= (filled ? a->queued : b->queued),
	      "fd#%u: %s hit %u registrations that got no ring entry, but %" PRIu64
	      " events were queued for read() %s (ring head %" PRIu64 ", tail %" PRIu64 ")",
	      u->id, how, missing, filled ? a->queued : b->queued,
	      filled ? "after it filled the ring" : "before", a->ring_head, a->ring_tail);
}

/*
 * After an invalidation of ours that hit @hit of @u's registrations:
 * returns the ring head now (0 without a ring), below which the entries
 * of those hits are, and checks the invalidation if it was alone.
 */
uint64_t ring_hits_end(struct ufd *u, const bool *hit, uint64_t lo, uint64_t hi, const char *how)
{
	unsigned int i = u - P.fds;
	struct fdinfo fi;

	if (!ring_made(u))
		return 0;
	if (!ring_fdinfo(u, &fi))
		return ring_head_now(u);
	if (before[i].taken && fi.counter == before[i].fi.counter + 1 && ring_map(u))
		check_one_invalidation(u, &before[i].fi, &fi, hit, lo, hi, how);
	return fi.ring_head;
}

/* @u was closed: its ring mappings (which kept the file) and tail page go. */
void ring_close(struct ufd *u)
{
	struct ring *ring = &u->ring;
	unsigned int i;

	for (i = 0; i < ring->nmaps; i++) {
		check(__atomic_load_n(&ring->maps[i]->head, __ATOMIC_ACQUIRE) >= ring->head,
		      "closed fd#%u: the ring's head went back", u->id);
		check_errno(munmap((void *)ring->maps[i], ring_len(u)), 0, "munmap of a ring");
	}
	ring->nmaps = 0;
	if (ring->tail_page)
		check_errno(munmap(ring->tail_page, P.page_size), 0, "munmap of a tail page");
	ring->tail_page = NULL;
	ring->tail = NULL;
}

/*
 * The worker's last words on the ring: rings made, entries checked,
 * invalidations checked exactly, bogus tails stored, consumptions that
 * found OVERFLOW set.
 */
void ring_report(void)
{
	say("# %s: ring: %lu made, %lu entries, %lu exact hits, %lu bogus tails, %lu OVERFLOWs",
	    P.name, rings_made, entries_checked, exact_checks, bogus_tails, overflows);
}
