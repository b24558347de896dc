// SPDX-License-Identifier: GPL-2.0
/*
 * The counter page: mapped (shared or private, several times), refused in
 * every other shape, mprotect()ed, moved with mremap(), zapped with
 * MADV_DONTNEED, unmapped; also after its file was closed.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

/* One counter mapping of ours: of an open file (@u set) or a zombie. */
struct map_ref {
	struct ufd *u;
	struct counter_map *map;
	struct zombie *zombie;
	const uint64_t **addr;
	bool *readable;
	bool *zapped;
	unsigned int id;
};

static bool pick_map(struct map_ref *ref)
{
	unsigned int i, j, n = 0, want;

	for (i = 0; i < MAX_FDS; i++)
		if (P.fds[i].open && !P.fds[i].foreign)
			n += P.fds[i].nmaps;
	n += P.nzombies;
	if (!n)
		return false;
	want = rng_below(&P.rng, n);
	for (i = 0; i < MAX_FDS; i++) {
		if (!P.fds[i].open || P.fds[i].foreign)
			continue;
		for (j = 0; j < P.fds[i].nmaps; j++, want--) {
			if (want)
				continue;
			ref->u = &P.fds[i];
			ref->map = &P.fds[i].maps[j];
			ref->zombie = NULL;
			ref->addr = &ref->map->addr;
			ref->readable = &ref->map->readable;
			ref->zapped = &ref->map->zapped;
			ref->id = P.fds[i].id;
			return true;
		}
	}
	ref->u = NULL;
	ref->map = NULL;
	ref->zombie = &P.zombies[want];
	ref->addr = &ref->zombie->addr;
	ref->readable = &ref->zombie->readable;
	ref->zapped = &ref->zombie->zapped;
	ref->id = ref->zombie->id;
	return true;
}

static void drop_map(struct map_ref *ref)
{
	if (ref->u)
		*ref->map = ref->u->maps[--ref->u->nmaps];
	else
		*ref->zombie = P.zombies[--P.nzombies];
}

void op_map_counter(void)
{
	struct ufd *u = fd_pick(false);
	bool shared = rng_percent(&P.rng, 50);
	size_t len = rng_percent(&P.rng, 80) ? (size_t)P.page_size :
		     rng_between(&P.rng, 1, P.page_size - 1);
	struct counter_map *m;
	void *p;

	if (!u)
		return;
	if (!u->foreign && u->nmaps == MAX_MAPS) {
		op_unmap_counter();
		return;
	}
	set_what("mmap fd#%u %zu bytes PROT_READ %s", u->id, len,
		 shared ? "MAP_SHARED" : "MAP_PRIVATE");
	p = mmap(NULL, len, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, u->fd, 0);
	if (u->foreign) {
		check_errno(p == MAP_FAILED ? -1 : 0, EPERM, "mmap from another mm");
		if (p != MAP_FAILED)
			munmap(p, len);
		return;
	}
	mark_used(u, p != MAP_FAILED);
	if (!check_errno(p == MAP_FAILED ? -1 : 0, 0, "mmap of the counter page"))
		return;
	m = &u->maps[u->nmaps++];
	m->addr = p;
	m->readable = true;
	m->zapped = false;
	observe(u);
}

void op_map_counter_hostile(void)
{
	struct ufd *u = fd_pick(false);
	long ps = P.page_size;
	size_t len = ps;
	int prot = PROT_READ, flags = MAP_SHARED, want;
	off_t offset = 0;
	const char *what;

	if (!u)
		return;
	switch (rng_below(&P.rng, 7)) {
	case 0:
		len = ps * rng_between(&P.rng, 2, 16);
		what = "more than one page";
		want = u->foreign ? EPERM : EINVAL;
		break;
	case 1:
		len = 0;
		what = "length 0";
		want = EINVAL;
		break;
	case 2:
		offset = ps * rng_between(&P.rng, 1, 1 << 20);
		what = "a non-zero offset";
		want = u->foreign ? EPERM : EINVAL;
		break;
	case 3:
		offset = rng_between(&P.rng, 1, ps - 1);
		what = "an unaligned offset";
		want = EINVAL;
		break;
	case 4:
		prot = PROT_READ | PROT_WRITE;
		what = "PROT_WRITE, MAP_SHARED";
		want = EACCES;
		break;
	case 5:
		prot = PROT_READ | PROT_WRITE;
		flags = MAP_PRIVATE;
		what = "PROT_WRITE, MAP_PRIVATE";
		want = EPERM;
		break;
	default:
		prot = PROT_WRITE;
		flags = MAP_PRIVATE;
		what = "PROT_WRITE only, MAP_PRIVATE";
		want = EPERM;
		break;
	}
	set_what("mmap fd#%u with %s", u->id, what);
	check_mmap_refused(u, len, prot, flags, offset, want, what);
	if (!u->foreign)
		mark_used(u, false);
}

void op_protect_counter(void)
{
	struct map_ref ref;
	int prot;

	if (!pick_map(&ref))
		return;
	switch (rng_below(&P.rng, 3)) {
	case 0:
		prot = PROT_READ | PROT_WRITE;
		break;
	case 1:
		prot = PROT_NONE;
		break;
	default:
		prot = PROT_READ;
		break;
	}
	set_what("mprotect counter page of fd#%u to %s", ref.id,
		 prot == PROT_NONE ? "PROT_NONE" : prot == PROT_READ ? "PROT_READ" : "PROT_WRITE");
	if (prot & PROT_WRITE) {
		check_errno(mprotect((void *)*ref.addr, P.page_size, prot), EACCES,
			    "mprotect of the counter page to writable");
		return;
	}
	if (check_errno(mprotect((void *)*ref.addr, P.page_size, prot), 0,
			"mprotect of the counter page"))
		*ref.readable = prot == PROT_READ && !*ref.zapped;
}

void op_move_counter(void)
{
	struct map_ref ref;
	void *target, *p;
	long ps = P.page_size;

	if (!pick_map(&ref))
		return;
	if (rng_percent(&P.rng, 30)) {
		set_what("mremap counter page of fd#%u to two pages", ref.id);
		p = mremap((void *)*ref.addr, ps, 2 * ps, MREMAP_MAYMOVE);
		check_errno(p == MAP_FAILED ? -1 : 0, EFAULT, "growing the counter mapping");
		return;
	}
	set_what("mremap counter page of fd#%u elsewhere", ref.id);
	target = mmap(NULL, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!check(target != MAP_FAILED, "mmap of a place to move to: %s", errname(errno)))
		return;
	p = mremap((void *)*ref.addr, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	if (check(p == target, "mremap of the counter page: %s", errname(errno)))
		*ref.addr = p;
	else
		munmap(target, ps);
	if (ref.u)
		observe(ref.u);
}

void op_unmap_counter(void)
{
	struct map_ref ref;

	if (!pick_map(&ref))
		return;
	set_what("munmap counter page of fd#%u%s", ref.id, ref.u ? "" : " (file closed)");
	check_errno(munmap((void *)*ref.addr, P.page_size), 0, "munmap of the counter page");
	drop_map(&ref);
}

/* The page leaves the mapping; reading it afterwards is not defined. */
void op_zap_counter(void)
{
	struct map_ref ref;

	if (!pick_map(&ref))
		return;
	set_what("MADV_DONTNEED counter page of fd#%u", ref.id);
	if (check_errno(madvise((void *)*ref.addr, P.page_size, MADV_DONTNEED), 0,
			"MADV_DONTNEED of the counter page")) {
		*ref.zapped = true;
		*ref.readable = false;
	}
}
