// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle's view of each open file: its live registrations, the counter
 * values seen, the last LAST event, and the registrations our own
 * invalidations hit that are still owed an event.  Every event read() and
 * every counter value observed goes through here and is checked against
 * the invariants listed in fuzz.h; a file's event ring, in ring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

struct ufd *fd_slot_free(void)
{
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++)
		if (!P.fds[i].open)
			return &P.fds[i];
	return NULL;
}

/* A random open file (only those of our own address space if @own). */
struct ufd *fd_pick(bool own)
{
	struct ufd *candidates[MAX_FDS];
	unsigned int i, n = 0;

	for (i = 0; i < MAX_FDS; i++)
		if (P.fds[i].open && (!own || !P.fds[i].foreign))
			candidates[n++] = &P.fds[i];
	return n ? candidates[rng_below(&P.rng, n)] : NULL;
}

struct reg *reg_find(struct ufd *u, uint64_t cookie)
{
	unsigned int i;

	for (i = 0; i < u->nregs; i++)
		if (u->regs[i].cookie == cookie)
			return &u->regs[i];
	return NULL;
}

void reg_add(struct ufd *u, uint64_t cookie, uint64_t start, uint64_t end)
{
	struct reg *r = &u->regs[u->nregs++];

	memset(r, 0, sizeof(*r));
	r->cookie = cookie;
	r->start = start;
	r->end = end;
	/* A head seen before the REGISTER: its entries come later. */
	r->ring_from = u->ring.head;
}

void reg_remove(struct ufd *u, struct reg *r)
{
	*r = u->regs[--u->nregs];
}

/*
 * A call that counts as a use of the file (for EXCHANGE_FEATURES) was
 * made.  Whether a failed call counts is not specified: "maybe".
 */
void mark_used(struct ufd *u, bool succeeded)
{
	if (succeeded)
		u->used = USED;
	else if (u->used == UNUSED)
		u->used = MAYBE_USED;
}

bool has_counter(struct ufd *u)
{
	unsigned int i;

	for (i = 0; i < u->nmaps; i++)
		if (u->maps[i].readable)
			return true;
	return false;
}

/*
 * Reads the counter through every readable mapping of @u, checks that it
 * never went back, and returns the highest value ever seen (a lower bound
 * of the counter now).
 */
uint64_t observe(struct ufd *u)
{
	unsigned int i;
	uint64_t value;

	for (i = 0; i < u->nmaps; i++) {
		if (!u->maps[i].readable)
			continue;
		value = counter_load(u->maps[i].addr);
		check(value >= u->seen,
		      "fd#%u: the mapped counter went back from %" PRIu64 " to %" PRIu64,
		      u->id, u->seen, value);
		if (value > u->seen)
			u->seen = value;
	}
	return u->seen;
}

/* After every operation: no counter of ours ever goes back. */
void observe_all(void)
{
	struct zombie *z;
	unsigned int i;
	uint64_t value;

	for (i = 0; i < MAX_FDS; i++) {
		if (!P.fds[i].open || P.fds[i].foreign)
			continue;
		if (P.fds[i].nmaps)
			observe(&P.fds[i]);
		ring_observe(&P.fds[i]);
	}
	for (i = 0; i < P.nzombies; i++) {
		z = &P.zombies[i];
		if (!z->readable)
			continue;
		value = counter_load(z->addr);
		check(value >= z->seen,
		      "closed fd#%u: the mapped counter went back from %" PRIu64 " to %" PRIu64,
		      z->id, z->seen, value);
		if (value > z->seen)
			z->seen = value;
	}
}

/*
 * Our invalidation hit @r: it is owed an event, from read() or, with a
 * ring, an entry below @ring_head, the head after the hit (0 if none or
 * no ring: then read()).  If it is owed already, the first hit's event
 * pays for both.
 */
void reg_owed(struct reg *r, uint64_t ring_head)
{
	if (r->must_report)
		return;
	r->must_report = true;
	r->ring_by = ring_head;
	r->in_ring = false;
}

/* Registrations our invalidations hit that must be queued for read(). */
static unsigned int owed_on_list(struct ufd *u)
{
	unsigned int i, n = 0;

	for (i = 0; i < u->nregs; i++)
		n += u->regs[i].must_report && ring_owed_on_list(u, &u->regs[i]);
	return n;
}

/*
 * The first registration our invalidations hit that must have been
 * delivered, now that nothing is queued for read() and, if @ring_empty,
 * nothing is left in the ring either.  One whose hit came after the ring
 * was last checked may be in the ring (and must be, now).
 */
static struct reg *first_owed(struct ufd *u, bool ring_empty)
{
	unsigned int i;

	for (i = 0; i < u->nregs; i++)
		if (u->regs[i].must_report && (ring_empty || !ring_may_hold(u, &u->regs[i])))
			return &u->regs[i];
	return NULL;
}

/*
 * read() said EAGAIN, or poll() said not readable (@polled), with the
 * counter at least @before: the file must have nothing to report.  With a
 * ring, poll() goes by the ring and the read() queue, not the counter.
 */
void check_not_readable(struct ufd *u, uint64_t before, bool polled, const char *how)
{
	bool by_ring = polled && ring_made(u);
	struct reg *r = first_owed(u, by_ring);

	if (!by_ring)
		check(before == u->last,
		      "fd#%u: %s although the counter (%" PRIu64
		      ") differs from the last LAST (%" PRIu64 ")",
		      u->id, how, before, u->last);
	check(!r, "fd#%u: %s although cookie %#" PRIx64 " [%#" PRIx64 ", %#" PRIx64
	      ") was invalidated and never reported (event lost)",
	      u->id, how, r ? r->cookie : 0, r ? r->start : 0, r ? r->end : 0);
}

static void check_inval(struct ufd *u, const struct ummunotify_event *ev)
{
	uint64_t cookie = ev->user_cookie_counter;
	struct reg *r = reg_find(u, cookie);

	if (!check(r, "fd#%u: INVAL for cookie %#" PRIx64 ", which is not registered",
		   u->id, cookie))
		return;
	if (ev->flags == UMMUNOTIFY_EVENT_FLAG_HINT)
		check(r->start <= ev->hint_start && ev->hint_start < ev->hint_end &&
		      ev->hint_end <= r->end,
		      "fd#%u: cookie %#" PRIx64
		      ": HINT [%#llx, %#llx) not inside the range [%#" PRIx64 ", %#" PRIx64 ")",
		      u->id, cookie, (unsigned long long)ev->hint_start,
		      (unsigned long long)ev->hint_end, r->start, r->end);
	else if (check(ev->flags == 0, "fd#%u: cookie %#" PRIx64 ": INVAL with flags %#x",
		       u->id, cookie, ev->flags))
		check(ev->hint_start == r->start && ev->hint_end == r->end,
		      "fd#%u: cookie %#" PRIx64
		      ": INVAL without HINT gives [%#llx, %#llx), not the range [%#" PRIx64
		      ", %#" PRIx64 ")",
		      u->id, cookie, (unsigned long long)ev->hint_start,
		      (unsigned long long)ev->hint_end, r->start, r->end);
	r->delivered++;
	r->must_report = false;
	u->delivered_any = true;
}

/*
 * A LAST event with counter @counter ends the drain that began after the
 * previous LAST: every registration was reported at most as often as the
 * counter moved (each report needs an invalidation after the previous
 * LAST, and each invalidation moves the counter once), and nothing our
 * invalidations hit is still owed, but what a ring may hold.
 */
static void check_last(struct ufd *u, const struct ummunotify_event *ev, uint64_t before)
{
	uint64_t counter = ev->user_cookie_counter;
	uint64_t moves = counter >= u->last ? counter - u->last : 0;
	struct reg *r;
	unsigned int i;
	bool owed;

	check(ev->flags == 0 && ev->hint_start == 0 && ev->hint_end == 0,
	      "fd#%u: LAST with flags %#x hint [%#llx, %#llx), not zeros", u->id,
	      ev->flags, (unsigned long long)ev->hint_start, (unsigned long long)ev->hint_end);
	check(counter >= before,
	      "fd#%u: LAST carries %" PRIu64 ", below the counter %" PRIu64 " seen before the read",
	      u->id, counter, before);
	check(counter >= u->last, "fd#%u: LAST went back from %" PRIu64 " to %" PRIu64,
	      u->id, u->last, counter);
	check(u->delivered_any || counter != u->last,
	      "fd#%u: LAST (%" PRIu64 ") although nothing happened since the last LAST",
	      u->id, counter);
	for (i = 0; i < u->nregs; i++) {
		r = &u->regs[i];
		check(r->delivered <= moves,
		      "fd#%u: cookie %#" PRIx64
		      " reported %u times between two LASTs, the counter moved %" PRIu64 " times",
		      u->id, r->cookie, r->delivered, moves);
		owed = r->must_report && !ring_may_hold(u, r);
		check(!owed,
		      "fd#%u: LAST before the INVAL of cookie %#" PRIx64 " [%#" PRIx64 ", %#" PRIx64
		      "), which our munmap/madvise/mremap hit",
		      u->id, r->cookie, r->start, r->end);
		r->delivered = 0;
		if (owed)
			r->must_report = false;
	}
	u->delivered_any = false;
	u->last = counter;
	if (counter > u->seen)
		u->seen = counter;
}

/*
 * Feeds @bytes of events that read() returned into the oracle; @before is
 * the counter observed just before the read().
 */
void consume_events(struct ufd *u, const void *buf, long bytes, uint64_t before)
{
	const struct ummunotify_event *ev = buf;
	long i, n = bytes / EVENT_SIZE;

	for (i = 0; i < n; i++) {
		switch (ev[i].type) {
		case UMMUNOTIFY_EVENT_TYPE_INVAL:
			check_inval(u, &ev[i]);
			break;
		case UMMUNOTIFY_EVENT_TYPE_LAST:
			check(i == n - 1, "fd#%u: LAST is record %ld of %ld in one read", u->id,
			      i + 1, n);
			check_last(u, &ev[i], before);
			break;
		default:
			fail("fd#%u: event of unknown type %u", u->id, ev[i].type);
		}
	}
	observe(u);
}

void fd_forget(struct ufd *u)
{
	memset(u, 0, sizeof(*u));
}

/* Parses /proc/self/fdinfo/FD into @fi; false if a line is missing. */
bool read_fdinfo(int fd, struct fdinfo *fi)
{
	static const char * const formats[] = {
		"registrations: %llu", "queued: %llu", "counter: %llu", "features: %llx",
		"invalidations_reported: %llu", "invalidations_filtered: %llu",
		"reported_at_end: %llu", "ring_entries: %llu", "ring_head: %llu",
		"ring_tail: %llu", "ring_flags: %llx",
	};
	uint64_t *fields[] = {
		&fi->regs, &fi->queued, &fi->counter, &fi->features, &fi->reported,
		&fi->filtered, &fi->at_end, &fi->ring_entries, &fi->ring_head,
		&fi->ring_tail, &fi->ring_flags,
	};
	char path[64], line[256];
	unsigned long long value;
	unsigned int found = 0, i;
	FILE *f;

	_Static_assert(ARRAY_SIZE(formats) == ARRAY_SIZE(fields), "one format per field");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < ARRAY_SIZE(formats); i++) {
			if (sscanf(line, formats[i], &value) == 1) {
				*fields[i] = value;
				found |= 1U << i;
				break;
			}
		}
	}
	fclose(f);
	return found == (1U << ARRAY_SIZE(formats)) - 1;
}

/*
 * /proc/self/fdinfo agrees with the model: the exact number of
 * registrations, at least as many queued events as are owed, a counter
 * between the values mapped before and after, the agreed features, no
 * invalidation filtered without UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES, none
 * reported at its end without UMMUNOTIFY_FEATURE_REPORT_AT_END, a count of
 * those that never goes back, and no more reported (at their start or
 * end) than the counter moved.
 */
void check_fdinfo(struct ufd *u)
{
	struct fdinfo fi = { 0 };
	unsigned int owed = owed_on_list(u);
	uint64_t before;
	bool ok;

	before = observe(u);
	ok = u->foreign ? read_fdinfo(u->fd, &fi) : ring_fdinfo(u, &fi);
	if (!check(ok, "fd#%u: /proc/self/fdinfo/%d lacks a line (registrations to ring_flags)",
		   u->id, u->fd))
		return;
	if (u->foreign)
		return;
	check(fi.regs == u->nregs, "fd#%u: fdinfo shows %" PRIu64 " registrations, not %u",
	      u->id, fi.regs, u->nregs);
	check(fi.queued <= fi.regs && fi.queued >= owed,
	      "fd#%u: fdinfo shows %" PRIu64 " queued events (registrations %" PRIu64 ", owed %u)",
	      u->id, fi.queued, fi.regs, owed);
	check(fi.counter >= before,
	      "fd#%u: fdinfo counter %" PRIu64 " is below %" PRIu64 " seen before",
	      u->id, fi.counter, before);
	check(fi.features == u->features, "fd#%u: fdinfo features %#" PRIx64 ", not %#x", u->id,
	      fi.features, u->features);
	check(fi.filtered == 0 || (u->features & UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES),
	      "fd#%u: fdinfo shows %" PRIu64 " invalidations filtered without the feature",
	      u->id, fi.filtered);
	check(fi.at_end == 0 || (u->features & UMMUNOTIFY_FEATURE_REPORT_AT_END),
	      "fd#%u: fdinfo: %" PRIu64 " reported at their end without the feature",
	      u->id, fi.at_end);
	check(fi.at_end >= u->at_end_seen,
	      "fd#%u: fdinfo reported_at_end went back from %" PRIu64 " to %" PRIu64,
	      u->id, u->at_end_seen, fi.at_end);
	if (fi.at_end > u->at_end_seen)
		u->at_end_seen = fi.at_end;
	check(fi.reported + fi.at_end <= fi.counter,
	      "fd#%u: fdinfo: %" PRIu64 " reported, %" PRIu64 " at their end, but counter %" PRIu64,
	      u->id, fi.reported, fi.at_end, fi.counter);
	if (fi.counter > u->seen)
		u->seen = fi.counter;
	observe(u);
}
