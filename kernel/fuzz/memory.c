// SPDX-License-Identifier: GPL-2.0
/*
 * The memory a fuzzer process plays with:
 *
 * - the arena, ARENA_PAGES pages at a fixed address far from anything
 *   the C library maps, whose every page the model tracks (mapped or not,
 *   shared or private, protection, which VMA), followed by the racer
 *   thread's SCRATCH_PAGES and its ZAP_PAGES (inprogress.c), which the
 *   model does not track;
 * - the read buffer, a prefaulted shared anonymous mapping (fork neither
 *   write-protects nor copies it, so reading into it never invalidates),
 *   followed by a PROT_NONE guard page for reads that straddle it;
 * - a read-only page, and the other bad pointers hostile calls use.
 *
 * And the bookkeeping of "hits": before an munmap/mremap/madvise of arena
 * pages, which registrations cover mapped pages in the range; afterwards,
 * whether every file with such a registration saw its counter move (and
 * got SIGIO if it asked for it), and the registrations are owed an event
 * (with a ring: ring_hits_end() checks the entries it wrote).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

/* Far below the executable (0x55..) and the top-down mmap area (0x7f..). */
#define ARENA_AREA	0x200000000000ULL
#define ARENA_STRIDE	0x10000000ULL

uintptr_t arena_base(unsigned int worker)
{
	return ARENA_AREA + worker * ARENA_STRIDE;
}

static void die(const char *what)
{
	fail("%s: %s", what, strerror(errno));
	shared_flush();
	exit(3);
}

static void map_read_buffer(void)
{
	long ps = P.page_size;

	P.rbuf = mmap(NULL, (READ_BUF_PAGES + 1) * ps, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (P.rbuf == MAP_FAILED)
		die("mmap of the read buffer");
	P.guard = P.rbuf + READ_BUF_PAGES * ps;
	if (mprotect(P.guard, ps, PROT_NONE))
		die("mprotect of the guard page");
	memset(P.rbuf, 0, READ_BUF_PAGES * ps);
	P.ro_page = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (P.ro_page == MAP_FAILED)
		die("mmap of the read-only page");
}

void memory_init(void)
{
	size_t len;
	void *p;

	P.page_size = sysconf(_SC_PAGESIZE);
	P.arena = (uint8_t *)arena_base(P.worker);
	len = (ARENA_PAGES + SCRATCH_PAGES + ZAP_PAGES) * P.page_size;
	/* Make sure nothing lives there; then leave it unmapped. */
	p = mmap(P.arena, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != P.arena)
		die("reserving the arena");
	munmap(p, len);
	memset(P.pages, 0, sizeof(P.pages));
	map_read_buffer();
}

/* A forked child: the read buffer is shared with the parent, take another. */
void memory_init_child(void)
{
	munmap(P.rbuf, (READ_BUF_PAGES + 1) * P.page_size);
	munmap(P.ro_page, P.page_size);
	map_read_buffer();
}

/* What access_ok() says in the kernel (TASK_SIZE_MAX == USER_TOP). */
bool access_ok_user(uintptr_t addr, size_t len)
{
	return len <= USER_TOP && addr <= USER_TOP - len;
}

/* Snapshot taken by hits_begin() for hits_end(). */
static uint64_t counter_before[MAX_FDS];
static unsigned int sigio_before;
static bool page_hit[ARENA_PAGES];
static bool any_hit;
static uint64_t hit_lo, hit_hi;	/* the ranges given to hits_add() lie inside */

void hits_begin(void)
{
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++)
		if (P.fds[i].open && !P.fds[i].foreign)
			counter_before[i] = observe(&P.fds[i]);
	memset(page_hit, 0, sizeof(page_hit));
	any_hit = false;
	hit_lo = UINT64_MAX;
	hit_hi = 0;
	sigio_before = sigio_total();
	ring_hits_begin();
}

/* The pages of [start, end) that are mapped now are about to be invalidated. */
void hits_add(uintptr_t start, uintptr_t end)
{
	uintptr_t base = (uintptr_t)P.arena;
	long first, last, i;

	if (start < hit_lo)
		hit_lo = start;
	if (end > hit_hi)
		hit_hi = end;
	if (end <= base || start >= base + ARENA_PAGES * P.page_size)
		return;
	first = start < base ? 0 : (long)((start - base) / P.page_size);
	last = (long)((end - 1 - base) / P.page_size);
	if (last >= ARENA_PAGES)
		last = ARENA_PAGES - 1;
	for (i = first; i <= last; i++) {
		if (P.pages[i].mapped) {
			page_hit[i] = true;
			any_hit = true;
		}
	}
}

static bool reg_hit(const struct reg *r)
{
	uintptr_t base = (uintptr_t)P.arena, lo, hi;
	long i;

	for (i = 0; i < ARENA_PAGES; i++) {
		if (!page_hit[i])
			continue;
		lo = base + i * P.page_size;
		hi = lo + P.page_size;
		if (r->start < hi && r->end > lo)
			return true;
	}
	return false;
}

/*
 * The operation (@how) succeeded: every registration covering a hit page
 * is owed an event, and its file's counter must have moved already.
 */
void hits_end(const char *how)
{
	bool hit[MAX_REGS], async_hit = false;
	uint64_t now, ring_head;
	struct reg *hit_reg;
	unsigned int i, j;
	struct ufd *u;

	if (!any_hit)
		return;
	for (i = 0; i < MAX_FDS; i++) {
		u = &P.fds[i];
		if (!u->open || u->foreign)
			continue;
		hit_reg = NULL;
		for (j = 0; j < u->nregs; j++) {
			hit[j] = reg_hit(&u->regs[j]);
			if (hit[j])
				hit_reg = &u->regs[j];
		}
		if (!hit_reg)
			continue;
		ring_head = ring_hits_end(u, hit, hit_lo, hit_hi, how);
		for (j = 0; j < u->nregs; j++)
			if (hit[j])
				reg_owed(&u->regs[j], ring_head);
		async_hit |= u->async;
		if (!has_counter(u))
			continue;
		now = observe(u);
		check(now > counter_before[i],
		      "fd#%u: %s hit cookie %#llx [%#llx, %#llx) but the counter stayed at %llu",
		      u->id, how, (unsigned long long)hit_reg->cookie,
		      (unsigned long long)hit_reg->start, (unsigned long long)hit_reg->end,
		      (unsigned long long)now);
	}
	if (async_hit)
		check(sigio_total() != sigio_before,
		      "%s hit a registration of an O_ASYNC file but no SIGIO came", how);
}

/*
 * A hostile pointer for a call that accesses @len bytes.  Sets
 * *@readable and *@writable to how many bytes from the start the kernel can
 * read/write.  @kind names it for messages.
 */
void *bad_pointer(size_t len, size_t *readable, size_t *writable, const char **kind)
{
	long ps = P.page_size;
	size_t j;
	long i;

	*readable = *writable = 0;
	switch (rng_below(&P.rng, 7)) {
	case 0:
		*kind = "NULL";
		return NULL;
	case 1:
		*kind = "a kernel address";
		return (void *)0xffff888000100000ULL;
	case 2:
		*kind = "the top of user space";
		return (void *)(uintptr_t)(USER_TOP - 8);
	case 3:
		*kind = "a read-only page";
		if (len > (size_t)ps) {
			*readable = ps;
			return P.ro_page;
		}
		*readable = len;
		return P.ro_page + rng_below(&P.rng, ps - len + 1);
	case 4:
		*kind = "a guard page";
		return P.guard;
	case 5:
		/* An unmapped arena page, if there is one. */
		for (i = 0; i < ARENA_PAGES; i++) {
			if (!P.pages[i].mapped) {
				*kind = "an unmapped page";
				return P.arena + i * ps;
			}
		}
		*kind = "a guard page";
		return P.guard;
	default:
		/* Straddles the end of the read buffer. */
		j = len < READ_BUF_PAGES * (size_t)ps ? len : READ_BUF_PAGES * (size_t)ps;
		j = j > 1 ? rng_between(&P.rng, 1, j - 1) : 0;
		*kind = "a buffer running into a guard page";
		*readable = *writable = j;
		return P.guard - j;
	}
}
