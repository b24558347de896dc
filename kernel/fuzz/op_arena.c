// SPDX-License-Identifier: GPL-2.0
/*
 * Changes to the arena, the memory the registrations mostly watch: mmap
 * (MAP_FIXED over old pages, anonymous private or shared, memfd), munmap,
 * writes and reads, mprotect, MADV_DONTNEED/FREE/REMOVE, mremap (move and
 * shrink).  Each invalidating change of mapped pages goes through
 * hits_begin/hits_add/hits_end: the registrations on them are owed an
 * event and their files' counters must move before the call returns.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static uint8_t *page_addr(long page)
{
	return P.arena + page * P.page_size;
}

/* A run of 1..16 pages [*first, *first + *n). */
static void pick_run(long *first, long *n)
{
	*first = rng_below(&P.rng, ARENA_PAGES);
	*n = rng_between(&P.rng, 1, ARENA_PAGES - *first < 16 ? ARENA_PAGES - *first : 16);
}

/* A run of mapped pages (of one VMA if @one_vma); false if none. */
static bool pick_mapped_run(long *first, long *n, bool one_vma)
{
	long start = rng_below(&P.rng, ARENA_PAGES), i, end;

	for (i = 0; i < ARENA_PAGES; i++) {
		if (P.pages[(start + i) % ARENA_PAGES].mapped)
			break;
	}
	if (i == ARENA_PAGES)
		return false;
	start = (start + i) % ARENA_PAGES;
	for (end = start + 1; end < ARENA_PAGES && P.pages[end].mapped &&
	     (!one_vma || P.pages[end].vma == P.pages[start].vma); end++)
		;
	*n = rng_between(&P.rng, 1, end - start);
	*first = start + rng_below(&P.rng, end - start - *n + 1);
	return true;
}

static const char *prot_name(int prot)
{
	if (prot == PROT_NONE)
		return "PROT_NONE";
	return prot == PROT_READ ? "PROT_READ" : "PROT_READ|WRITE";
}

/* Shows the lines of /proc/self/maps around the arena, after a surprise. */
static void dump_arena_maps(void)
{
	uintptr_t base = (uintptr_t)P.arena, lo, hi;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi > base &&
		    lo < base + (ARENA_PAGES + SCRATCH_PAGES) * P.page_size) {
			line[strcspn(line, "\n")] = '\0';
			say("#   %s (pages %ld..%ld)", line, (long)(lo - base) / P.page_size,
			    (long)(hi - base) / P.page_size);
		}
	}
	fclose(f);
}

/* Rebuilds the arena model from /proc/self/maps (after a surprise). */
static void resync_arena(void)
{
	uintptr_t base = (uintptr_t)P.arena, lo, hi, a;
	char line[512], perms[8];
	FILE *f = fopen("/proc/self/maps", "re");
	long i;

	memset(P.pages, 0, sizeof(P.pages));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		P.next_vma++;
		for (a = lo; a < hi; a += P.page_size) {
			if (a < base || a >= base + ARENA_PAGES * P.page_size)
				continue;
			i = (a - base) / P.page_size;
			P.pages[i].mapped = true;
			P.pages[i].shared = perms[3] == 's';
			P.pages[i].prot = (perms[0] == 'r' ? PROT_READ : 0) |
					  (perms[1] == 'w' ? PROT_WRITE : 0);
			P.pages[i].vma = P.next_vma;
		}
	}
	fclose(f);
}

static void set_pages(long first, long n, bool mapped, bool shared, int prot)
{
	uint32_t vma = ++P.next_vma;
	long i;

	for (i = first; i < first + n; i++) {
		P.pages[i].mapped = mapped;
		P.pages[i].shared = shared;
		P.pages[i].prot = prot;
		P.pages[i].vma = mapped ? vma : 0;
	}
}

void op_arena_map(void)
{
	long first, n, ps = P.page_size;
	int prot, flags, fd = -1, kind = rng_below(&P.rng, 10);
	bool shared = kind >= 7;
	char what[64];
	void *p;

	pick_run(&first, &n);
	prot = rng_percent(&P.rng, 80) ? PROT_READ | PROT_WRITE :
	       rng_percent(&P.rng, 50) ? PROT_READ : PROT_NONE;
	flags = MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE);
	if (kind == 9) {
		fd = memfd_create("umn-fuzz", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, n * ps)) {
			fail("memfd: %s", errname(errno));
			goto out;
		}
	} else {
		flags |= MAP_ANONYMOUS;
	}
	snprintf(what, sizeof(what), "mmap MAP_FIXED %s%s", kind == 9 ? "memfd " : "",
		 shared ? "shared" : "private");
	set_what("%s arena pages [%ld, %ld) %s", what, first, first + n, prot_name(prot));
	hits_begin();
	hits_add((uintptr_t)page_addr(first), (uintptr_t)page_addr(first + n));
	p = mmap(page_addr(first), n * ps, prot, flags, fd, 0);
	if (!check(p == page_addr(first), "%s: %s", what, errname(errno))) {
		resync_arena();
		goto out;
	}
	set_pages(first, n, true, shared, prot);
	hits_end(what);
out:
	if (fd >= 0)
		close(fd);
}

void op_arena_unmap(void)
{
	long first, n;

	pick_run(&first, &n);
	set_what("munmap arena pages [%ld, %ld)", first, first + n);
	hits_begin();
	hits_add((uintptr_t)page_addr(first), (uintptr_t)page_addr(first + n));
	if (!check_errno(munmap(page_addr(first), n * P.page_size), 0, "munmap")) {
		resync_arena();
		return;
	}
	set_pages(first, n, false, false, 0);
	hits_end("munmap");
}

/*
 * Touches a random byte of each mapped page of a run: writes it plus one
 * where the page is writable, else reads it where it is readable.  The
 * accesses are the point (they fault pages in and break copy-on-write),
 * not the values: so they are relaxed atomic ones, which the compiler
 * emits each as written, as it did for a volatile (a plain read whose
 * value goes unused is dropped).  A write stays a load and then a store,
 * not one read-modify-write instruction, so that the page faults are
 * those of a volatile (a page not present: a read fault, then a write
 * fault).
 */
void op_arena_touch(void)
{
	uint8_t *byte, value;
	long first, n, i;

	pick_run(&first, &n);
	set_what("touch arena pages [%ld, %ld)", first, first + n);
	for (i = first; i < first + n; i++) {
		byte = page_addr(i) + rng_below(&P.rng, P.page_size);
		if (!P.pages[i].mapped)
			continue;
		if (P.pages[i].prot & PROT_WRITE) {
			value = __atomic_load_n(byte, __ATOMIC_RELAXED);
			__atomic_store_n(byte, (uint8_t)(value + 1), __ATOMIC_RELAXED);
		} else if (P.pages[i].prot & PROT_READ) {
			(void)__atomic_load_n(byte, __ATOMIC_RELAXED);
		}
	}
}

void op_arena_protect(void)
{
	long first, n, i;
	int prot;
	uint32_t vma = 0, old_vma = 0;

	if (!pick_mapped_run(&first, &n, false))
		return;
	prot = rng_percent(&P.rng, 50) ? PROT_READ | PROT_WRITE :
	       rng_percent(&P.rng, 50) ? PROT_READ : PROT_NONE;
	set_what("mprotect arena pages [%ld, %ld) %s", first, first + n, prot_name(prot));
	benign_begin();
	if (!check_errno(mprotect(page_addr(first), n * P.page_size, prot), 0, "mprotect")) {
		resync_arena();
		return;
	}
	benign_end("mprotect");
	/*
	 * mprotect splits VMAs at the ends of the range but never joins the
	 * different VMAs inside it: each keeps an identity of its own.
	 */
	for (i = first; i < first + n; i++) {
		if (i == first || P.pages[i].vma != old_vma) {
			old_vma = P.pages[i].vma;
			vma = ++P.next_vma;
		}
		P.pages[i].prot = prot;
		P.pages[i].vma = vma;
	}
}

void op_arena_discard(void)
{
	long first, n, i;
	bool all_private = true, all_shared_rw = true;
	int advice;
	const char *name;

	if (!pick_mapped_run(&first, &n, false))
		return;
	for (i = first; i < first + n; i++) {
		all_private &= !P.pages[i].shared;
		all_shared_rw &= P.pages[i].shared && P.pages[i].prot == (PROT_READ | PROT_WRITE);
	}
	if (all_private && rng_percent(&P.rng, 30)) {
		advice = MADV_FREE;
		name = "MADV_FREE";
	} else if (all_shared_rw && rng_percent(&P.rng, 50)) {
		advice = MADV_REMOVE;
		name = "MADV_REMOVE";
	} else {
		advice = MADV_DONTNEED;
		name = "MADV_DONTNEED";
	}
	set_what("%s arena pages [%ld, %ld)", name, first, first + n);
	hits_begin();
	hits_add((uintptr_t)page_addr(first), (uintptr_t)page_addr(first + n));
	if (check_errno(madvise(page_addr(first), n * P.page_size, advice), 0, name))
		hits_end(name);
}

/* Moves a run inside one VMA to another place of the arena, or shrinks it. */
void op_arena_remap(void)
{
	long first, n, target, keep, i, ps = P.page_size;
	struct arena_page moved[ARENA_PAGES];
	uint32_t vma;
	void *p;

	if (!pick_mapped_run(&first, &n, true))
		return;
	if (n > 1 && rng_percent(&P.rng, 30)) {
		keep = rng_between(&P.rng, 1, n - 1);
		set_what("mremap arena pages [%ld, %ld) to %ld pages", first, first + n, keep);
		hits_begin();
		hits_add((uintptr_t)page_addr(first + keep), (uintptr_t)page_addr(first + n));
		p = mremap(page_addr(first), n * ps, keep * ps, 0);
		if (!check(p == page_addr(first), "mremap shrink: %s", errname(errno))) {
			resync_arena();
			return;
		}
		set_pages(first + keep, n - keep, false, false, 0);
		hits_end("mremap shrink");
		return;
	}
	/* A target run of the same length that does not overlap the source. */
	for (i = 0; i < 8; i++) {
		target = rng_below(&P.rng, ARENA_PAGES - n + 1);
		if (target + n <= first || target >= first + n)
			break;
	}
	if (i == 8)
		return;
	set_what("mremap arena pages [%ld, %ld) to [%ld, %ld)", first, first + n, target,
		 target + n);
	hits_begin();
	hits_add((uintptr_t)page_addr(first), (uintptr_t)page_addr(first + n));
	hits_add((uintptr_t)page_addr(target), (uintptr_t)page_addr(target + n));
	p = mremap(page_addr(first), n * ps, n * ps, MREMAP_MAYMOVE | MREMAP_FIXED,
		   page_addr(target));
	if (!check(p == page_addr(target), "mremap move: %s", errname(errno))) {
		dump_arena_maps();
		resync_arena();
		return;
	}
	memcpy(moved, &P.pages[first], n * sizeof(moved[0]));
	set_pages(first, n, false, false, 0);
	vma = ++P.next_vma;
	for (i = 0; i < n; i++) {
		P.pages[target + i] = moved[i];
		P.pages[target + i].vma = vma;
	}
	hits_end("mremap move");
}

/* The model agrees with /proc/self/maps (it is what the oracle relies on). */
void check_arena_model(void)
{
	struct arena_page model[ARENA_PAGES];
	long i;

	memcpy(model, P.pages, sizeof(model));
	set_what("compare the arena model with /proc/self/maps");
	resync_arena();
	for (i = 0; i < ARENA_PAGES; i++) {
		if (!check(model[i].mapped == P.pages[i].mapped &&
			   (!model[i].mapped || (model[i].prot == P.pages[i].prot &&
						 model[i].shared == P.pages[i].shared)),
			   "arena page %ld: model mapped %d prot %d shared %d, /proc/self/maps %d %d %d",
			   i, model[i].mapped, model[i].prot, model[i].shared, P.pages[i].mapped,
			   P.pages[i].prot, P.pages[i].shared))
			return;
	}
	/* Keep the model's VMA identities, which are finer than the maps lines. */
	for (i = 0; i < ARENA_PAGES; i++)
		P.pages[i].vma = model[i].vma;
}
