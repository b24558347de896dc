// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring (UMMUNOTIFY_FEATURE_EVENT_RING): files opened with it;
 * UMMUNOTIFY_SETUP_RING with good and hostile arguments (bad sizes, a
 * tail word misaligned, unmapped, read-only or NULL, reserved bits, a bad
 * argument pointer, a second ring, no feature); the ring mapped in good
 * and refused shapes, and unmapped; the ring consumed as a library does
 * (load the head, copy the entries, store the tail, read() on OVERFLOW)
 * and as a broken one does (a tail beyond the head or going back, part of
 * the entries, copies never published); and the tail word's page
 * unmapped or replaced under the kernel's pin, after which the ring
 * fills and everything goes to read().  The oracle is in ring.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "fuzz.h"

/* The biggest ring made here: the smaller, the more often it fills. */
#define RING_MAX_USED	(UMMUNOTIFY_RING_MIN_ENTRIES << 3)

static size_t ring_len(uint32_t entries)
{
	return UMMUNOTIFY_RING_LEN((size_t)P.page_size, entries);
}

/* A good size: mostly the smallest, which a few dozen hits fill. */
static uint32_t ring_size(void)
{
	if (rng_percent(&P.rng, 70))
		return UMMUNOTIFY_RING_MIN_ENTRIES;
	return UMMUNOTIFY_RING_MIN_ENTRIES << rng_between(&P.rng, 1, 3);
}

/* A size SETUP_RING refuses. */
static uint32_t bad_ring_size(void)
{
	static const uint32_t sizes[] = {
		0, 1, UMMUNOTIFY_RING_MIN_ENTRIES / 2, UMMUNOTIFY_RING_MIN_ENTRIES - 1,
		UMMUNOTIFY_RING_MIN_ENTRIES + 1, 3 * UMMUNOTIFY_RING_MIN_ENTRIES,
		2 * UMMUNOTIFY_RING_MAX_ENTRIES, 1U << 31, ~0U,
	};

	return sizes[rng_below(&P.rng, ARRAY_SIZE(sizes))];
}

/* A tail word in a fresh page of its own, at a random aligned place. */
static uint64_t *new_tail_word(uint8_t **page)
{
	*page = mmap(NULL, P.page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		     0);
	if (!check(*page != MAP_FAILED, "mmap of a tail page: %s", errname(errno))) {
		*page = NULL;
		return NULL;
	}
	return (uint64_t *)(*page + sizeof(uint64_t) *
			    rng_below(&P.rng, P.page_size / sizeof(uint64_t)));
}

/* An own file with a ring (and a mapping of it if @mapped), or NULL. */
static struct ufd *pick_ring(bool mapped)
{
	struct ufd *candidates[MAX_FDS], *u;
	unsigned int i, n = 0;

	for (i = 0; i < MAX_FDS; i++) {
		u = &P.fds[i];
		if (u->open && !u->foreign && ring_made(u) && (!mapped || ring_map(u)))
			candidates[n++] = u;
	}
	return n ? candidates[rng_below(&P.rng, n)] : NULL;
}

/*
 * A foreign file (a fork child's copy of its parent's) that was not surely
 * used at the fork: its owner may have agreed to the ring since, so the
 * child's copy of its features is stale and EPERM is as right as ENOTTY.
 * @want and the result: 0 or -errno.
 */
static int setup_want_now(const struct ufd *u, int want, long ret)
{
	if (u->foreign && want == -ENOTTY && u->used != USED && ret < 0 && errno == EPERM)
		return -EPERM;
	return want;
}

/*
 * UMMUNOTIFY_SETUP_RING on @u with @arg, which must fail with @want (0:
 * succeed); the tail page @page is the ring's if it succeeded, else
 * unmapped.
 */
static void setup_ring(struct ufd *u, const struct ummunotify_ring_setup *arg, int want,
		       const char *what, uint8_t *page)
{
	long ret;

	set_what("SETUP_RING fd#%u %u entries, tail %#llx, reserved %#x: %s", u->id,
		 arg->entries, (unsigned long long)arg->tail, arg->reserved, what);
	ret = ioctl(u->fd, UMMUNOTIFY_SETUP_RING, arg);
	check_errno(ret, -setup_want_now(u, -want, ret), what);
	if (u->foreign)
		return;
	/* Without the feature the file stays unused: EXCHANGE_FEATURES checks it. */
	if (ring_agreed(u))
		mark_used(u, ret == 0);
	if (ret == 0 && want == 0)
		ring_start(u, arg->entries, page, (uint64_t *)(uintptr_t)arg->tail);
	else if (page)
		munmap(page, P.page_size);
}

/* Maps @u's ring; false if that failed. */
static bool map_ring(struct ufd *u)
{
	bool shared = rng_percent(&P.rng, 70);
	size_t len = ring_len(u->ring.entries);
	void *p;

	/* mmap() rounds the length up to whole pages. */
	if (rng_percent(&P.rng, 20))
		len -= rng_below(&P.rng, P.page_size);
	set_what("mmap the ring of fd#%u, %zu bytes, %s", u->id, len,
		 shared ? "MAP_SHARED" : "MAP_PRIVATE");
	p = mmap(NULL, len, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, u->fd,
		 UMMUNOTIFY_RING_OFFSET);
	mark_used(u, p != MAP_FAILED);
	if (!check_errno(p == MAP_FAILED ? -1 : 0, 0, "mmap of the ring"))
		return false;
	u->ring.maps[u->ring.nmaps++] = p;
	ring_observe(u);
	return true;
}

/* A new file with the ring, as a library opens one: features, ring, mapping. */
void op_ring_open(void)
{
	struct ummunotify_ring_setup arg = { 0 };
	uint32_t features, asked;
	uint8_t *page;
	struct ufd *u;

	if (!fd_slot_free()) {
		op_close();
		return;
	}
	u = fd_open(rng_percent(&P.rng, 75));
	if (!u)
		return;
	features = UMMUNOTIFY_FEATURE_EVENT_RING | ((uint32_t)rng_next(&P.rng) & KNOWN_FEATURES);
	asked = features;
	set_what("EXCHANGE_FEATURES fd#%u %#x for a ring", u->id, asked);
	if (!check_errno(ioctl(u->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features), 0,
			 "EXCHANGE_FEATURES with the ring"))
		return;
	u->used = USED;
	if (!check(features == asked, "EXCHANGE_FEATURES answered %#x to %#x", features, asked))
		return;
	u->features = features;
	arg.entries = ring_size();
	arg.tail = (uintptr_t)new_tail_word(&page);
	if (!page)
		return;
	setup_ring(u, &arg, 0, "a new ring", page);
	if (ring_made(u) && rng_percent(&P.rng, 90))
		map_ring(u);
}

/* What SETUP_RING with @arg (readable if @readable) says on @u: 0 or -errno. */
static int setup_want(struct ufd *u, const struct ummunotify_ring_setup *arg, bool readable,
		      size_t tail_writable)
{
	uint32_t n = arg->entries;

	/* Without the feature the request is unknown, as in 2010. */
	if (!ring_agreed(u))
		return -ENOTTY;
	if (u->foreign)
		return -EPERM;
	if (!readable)
		return -EFAULT;
	if (arg->reserved)
		return -EINVAL;
	if (ring_made(u))
		return -EBUSY;
	if (n < UMMUNOTIFY_RING_MIN_ENTRIES || n > UMMUNOTIFY_RING_MAX_ENTRIES || (n & (n - 1)) ||
	    arg->tail % sizeof(uint64_t))
		return -EINVAL;
	return tail_writable < sizeof(uint64_t) ? -EFAULT : 0;
}

/* SETUP_RING on any file, with good arguments or hostile ones. */
void op_ring_setup(void)
{
	struct ummunotify_ring_setup arg = { 0 }, *argp = &arg;
	size_t readable, writable = sizeof(uint64_t);
	struct ufd *u = fd_pick(false);
	const char *what = "good arguments", *kind;
	bool own_tail = true;
	uint8_t *page = NULL;
	long ret;

	if (!u)
		return;
	arg.entries = ring_size();
	switch (rng_below(&P.rng, 10)) {
	case 0:
		arg.entries = bad_ring_size();
		what = "a bad size";
		break;
	case 1:
		arg.tail = (uintptr_t)bad_pointer(sizeof(uint64_t), &readable, &writable, &kind);
		own_tail = false;
		what = kind;
		break;
	case 2:
		arg.reserved = 1U << rng_below(&P.rng, 32);
		what = "non-zero reserved";
		break;
	case 3:
		argp = bad_pointer(sizeof(arg), &readable, &writable, &kind);
		if (readable >= sizeof(arg))
			return;	/* the read-only page would be a valid argument */
		set_what("SETUP_RING fd#%u through %s", u->id, kind);
		ret = ioctl(u->fd, UMMUNOTIFY_SETUP_RING, argp);
		check_errno(ret, -setup_want_now(u, setup_want(u, &arg, false, 0), ret),
			    "SETUP_RING with a bad pointer");
		if (!u->foreign && ring_agreed(u))
			mark_used(u, false);
		return;
	default:
		break;
	}
	if (own_tail) {
		arg.tail = (uintptr_t)new_tail_word(&page);
		if (!page)
			return;
		/* Now and then one byte off. */
		if (rng_percent(&P.rng, 10)) {
			arg.tail += rng_between(&P.rng, 1, sizeof(uint64_t) - 1);
			what = "a misaligned tail";
		}
	}
	setup_ring(u, &arg, -setup_want(u, &arg, true, writable), what, page);
}

/* mmap of the ring of any file, in its good shape or a refused one. */
void op_ring_map(void)
{
	struct ufd *u = fd_pick(false);
	int prot = PROT_READ, flags = MAP_SHARED, want;
	off_t offset = UMMUNOTIFY_RING_OFFSET;
	long ps = P.page_size;
	const char *what;
	size_t len;

	if (!u)
		return;
	len = ring_len(ring_made(u) ? u->ring.entries : UMMUNOTIFY_RING_MIN_ENTRIES);
	want = u->foreign ? EPERM : EINVAL;
	switch (rng_below(&P.rng, 8)) {
	case 0:
		len = ring_len(2 * (ring_made(u) ? u->ring.entries : UMMUNOTIFY_RING_MIN_ENTRIES));
		what = "another size";
		break;
	case 1:
		len = rng_percent(&P.rng, 50) ? len + ps : (size_t)ps;
		what = "a page more, or one page";
		break;
	case 2:
		offset += rng_percent(&P.rng, 50) ? ps * rng_between(&P.rng, 1, 16) :
			  -ps * rng_between(&P.rng, 1, UMMUNOTIFY_RING_OFFSET / ps - 1);
		what = "another offset";
		break;
	case 3:
		prot |= PROT_WRITE;
		what = "PROT_WRITE, MAP_SHARED";
		want = EACCES;	/* the VFS: the file is read-only */
		break;
	case 4:
		prot |= PROT_WRITE;
		flags = MAP_PRIVATE;
		what = "PROT_WRITE, MAP_PRIVATE";
		/* Without the feature the offset is refused first, as in 2010. */
		want = u->foreign || ring_agreed(u) ? EPERM : EINVAL;
		break;
	default:
		if (!u->foreign && ring_made(u)) {
			if (u->ring.nmaps == MAX_RING_MAPS)
				op_ring_unmap();
			else
				map_ring(u);
			return;
		}
		what = u->foreign ? "the ring of another mm's file" : "no ring made";
		break;
	}
	set_what("mmap the ring of fd#%u with %s", u->id, what);
	check_mmap_refused(u, len, prot, flags, offset, want, what);
	/*
	 * Without the feature the offset is refused as any other: a file
	 * unused stays so (EXCHANGE_FEATURES checks it), as in 2010.
	 */
	if (!u->foreign && ring_agreed(u))
		mark_used(u, false);
}

/* munmap of a ring mapping, or refused changes to it: writable, grown. */
void op_ring_unmap(void)
{
	struct ufd *u = pick_ring(true);
	unsigned int i;
	size_t len;
	void *map, *p;

	if (!u)
		return;
	i = rng_below(&P.rng, u->ring.nmaps);
	map = (void *)u->ring.maps[i];
	len = ring_len(u->ring.entries);
	switch (rng_below(&P.rng, 6)) {
	case 0:
		set_what("mprotect the ring of fd#%u writable", u->id);
		check_errno(mprotect(map, len, PROT_READ | PROT_WRITE), EACCES,
			    "mprotect of the ring to writable");
		return;
	case 1:
		set_what("mremap the ring of fd#%u bigger", u->id);
		p = mremap(map, len, len + P.page_size, MREMAP_MAYMOVE);
		check_errno(p == MAP_FAILED ? -1 : 0, EFAULT, "growing the ring mapping");
		return;
	default:
		set_what("munmap the ring of fd#%u", u->id);
		if (check_errno(munmap(map, len), 0, "munmap of the ring"))
			u->ring.maps[i] = u->ring.maps[--u->ring.nmaps];
		return;
	}
}

/*
 * Copies up to @limit entries from where the oracle stopped, as a
 * consumer does (load the head with acquire, copy), stores the tail past
 * them if @publish, and has the oracle check them.
 */
static void take_entries(struct ufd *u, uint64_t limit, bool publish)
{
	static struct ummunotify_event copied[RING_MAX_USED];
	const struct ummunotify_ring *map = ring_map(u);
	struct ring *ring = &u->ring;
	uint64_t head, n, k;

	set_what("consume the ring of fd#%u from %" PRIu64 " (up to %" PRIu64 "%s)", u->id,
		 ring->consumed, limit, publish ? "" : ", not published");
	zap_read_begins();
	head = ring_head_now(u);
	n = head - ring->consumed;
	if (n > limit)
		n = limit;
	if (n > ARRAY_SIZE(copied))
		n = ARRAY_SIZE(copied);
	for (k = 0; k < n; k++)
		memcpy(&copied[k], ring_entry(u, map, ring->consumed + k), sizeof(copied[k]));
	for (k = 0; k < n; k++)
		ring_check_entry(u, ring->consumed + k, &copied[k]);
	if (publish)
		ring_publish(u, ring->consumed + n);
	zap_after_consume(u, copied, n, publish && ring->tail && ring->tail_pinned);
	ring_checked_to(u, ring->consumed + n);
}

/* Everything in @u's ring, published, if it is mapped. */
void ring_consume_all(struct ufd *u)
{
	if (ring_made(u) && ring_map(u))
		take_entries(u, UINT64_MAX, true);
}

/*
 * The consumer: mostly all the entries, published, then read() if the
 * ring's OVERFLOW flag says events wait there; now and then part of them,
 * or copies that are never published, or a bogus tail.  Not consuming for
 * a while (the operation is not picked) fills the ring.
 */
void op_ring_consume(void)
{
	struct ufd *u = pick_ring(true);
	uint64_t unread;

	if (!u)
		return;
	switch (rng_below(&P.rng, 10)) {
	case 0:
		ring_publish_bogus(u);
		return;
	case 1:
		take_entries(u, UINT64_MAX, false);
		return;
	case 2:
		unread = ring_head_now(u) - u->ring.consumed;
		take_entries(u, unread ? rng_below(&P.rng, unread + 1) : 0, true);
		break;
	default:
		take_entries(u, UINT64_MAX, true);
		break;
	}
	if ((ring_flags_now(u) & UMMUNOTIFY_RING_OVERFLOW) && rng_percent(&P.rng, 80))
		drain_file(u);
}

/*
 * The tail word's page unmapped, replaced by a new page (MAP_FIXED), or
 * zapped (MADV_DONTNEED: a new zero page at the next store).  The kernel
 * keeps the page it pinned, and the last tail stored there: from now on
 * the ring fills and stays full, and every event goes to read().
 */
void op_ring_tail_page(void)
{
	struct ufd *u = pick_ring(false);
	struct ring *ring;
	struct fdinfo fi;
	const char *how;
	void *p;
	int ret;

	if (!u || !u->ring.tail_page)
		return;
	ring = &u->ring;
	switch (rng_below(&P.rng, 3)) {
	case 0:
		how = "munmap";
		set_what("%s the tail page of fd#%u", how, u->id);
		ret = munmap(ring->tail_page, P.page_size);
		break;
	case 1:
		how = "mmap MAP_FIXED over";
		set_what("%s the tail page of fd#%u", how, u->id);
		p = mmap(ring->tail_page, P.page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		ret = p == ring->tail_page ? 0 : -1;
		break;
	default:
		how = "MADV_DONTNEED";
		set_what("%s the tail page of fd#%u", how, u->id);
		ret = madvise(ring->tail_page, P.page_size, MADV_DONTNEED);
		break;
	}
	if (!check_errno(ret, 0, how))
		return;
	ring->tail_pinned = false;
	if (!strcmp(how, "munmap")) {
		ring->tail_page = NULL;
		ring->tail = NULL;
	}
	ring_fdinfo(u, &fi);
}
