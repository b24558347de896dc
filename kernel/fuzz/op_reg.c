// SPDX-License-Identifier: GPL-2.0
/*
 * REGISTER_REGION and UNREGISTER_REGION, with ranges and cookies from the
 * ordinary (arena pages) to the hostile (empty, reversed, beyond user
 * space, non-zero flags, duplicate cookies, bad pointers).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "fuzz.h"

/* A range a program could well register; mostly on arena pages. */
static void random_range(__u64 *start, __u64 *end)
{
	uint64_t base = (uintptr_t)P.arena, ps = P.page_size;
	uint64_t first, n, a, b;

	switch (rng_below(&P.rng, 20)) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9:
		/* whole arena pages */
		first = rng_below(&P.rng, ARENA_PAGES);
		n = rng_between(&P.rng, 1, ARENA_PAGES - first < 16 ? ARENA_PAGES - first : 16);
		*start = base + first * ps;
		*end = *start + n * ps;
		return;
	case 10: case 11: case 12: case 13:
		/* byte grained, inside the arena */
		*start = base + rng_below(&P.rng, ARENA_PAGES * ps);
		*end = *start + rng_between(&P.rng, 1, 8 * ps);
		if (*end > base + ARENA_PAGES * ps)
			*end = base + ARENA_PAGES * ps;
		return;
	case 14:
		/* from the arena into the racer's scratch pages, or its zap region */
		*start = base + rng_below(&P.rng, ARENA_PAGES * ps);
		n = rng_between(&P.rng, 1, SCRATCH_PAGES + ZAP_PAGES);
		*end = base + (ARENA_PAGES + n) * ps;
		return;
	case 15:
		/* a single byte */
		*start = base + rng_below(&P.rng, ARENA_PAGES * ps);
		*end = *start + 1;
		return;
	case 16:
		/* all of user space */
		*start = 0;
		*end = USER_TOP;
		return;
	case 17:
		/* up to the very top */
		*start = USER_TOP - rng_between(&P.rng, 1, 1ULL << 40);
		*end = USER_TOP;
		return;
	default:
		/* anywhere */
		a = rng_below(&P.rng, USER_TOP);
		b = rng_below(&P.rng, USER_TOP);
		if (a == b)
			b++;
		*start = a < b ? a : b;
		*end = a < b ? b : a;
		return;
	}
}

static uint64_t random_cookie(void)
{
	switch (rng_below(&P.rng, 10)) {
	case 0: return 0;
	case 1: return ~0ULL;
	case 2: return 1ULL << 63;
	case 3: case 4: case 5: return rng_below(&P.rng, 64);
	default: return rng_next(&P.rng);
	}
}

static void do_register(struct ufd *u, struct ummunotify_register_ioctl *arg, int want,
			const char *what)
{
	long ret;

	set_what("REGISTER fd#%u [%#llx, %#llx) cookie %#llx flags %#x reserved %#x: %s",
		 u->id, (unsigned long long)arg->start, (unsigned long long)arg->end,
		 (unsigned long long)arg->user_cookie, arg->flags, arg->reserved, what);
	ret = ioctl(u->fd, UMMUNOTIFY_REGISTER_REGION, arg);
	if (u->foreign) {
		check_errno(ret, EPERM, "REGISTER from another mm");
		if (ret == 0)
			fail("fd#%u: a foreign registration succeeded", u->id);
		return;
	}
	check_errno(ret, want, what);
	if (ret == 0 && !reg_find(u, arg->user_cookie) && u->nregs < MAX_REGS)
		reg_add(u, arg->user_cookie, arg->start, arg->end);
	mark_used(u, ret == 0);
}

/* The argument, sometimes on the read-only page (fine for a _IOW ioctl). */
static struct ummunotify_register_ioctl *arg_place(struct ummunotify_register_ioctl *local)
{
	struct ummunotify_register_ioctl *ro;

	if (!rng_percent(&P.rng, 15))
		return local;
	/* The read-only page is private to us: make it hold the argument. */
	ro = (void *)(P.ro_page + P.page_size - sizeof(*ro));
	if (!mprotect(P.ro_page, P.page_size, PROT_READ | PROT_WRITE)) {
		memcpy(ro, local, sizeof(*ro));
		mprotect(P.ro_page, P.page_size, PROT_READ);
		return ro;
	}
	return local;
}

void op_register(void)
{
	struct ummunotify_register_ioctl arg = { 0 };
	struct ufd *u = fd_pick(false);

	if (!u)
		return;
	if (!u->foreign && u->nregs >= MAX_REGS) {
		op_unregister();
		return;
	}
	random_range(&arg.start, &arg.end);
	arg.user_cookie = random_cookie();
	if (!u->foreign && reg_find(u, arg.user_cookie)) {
		do_register(u, arg_place(&arg), EINVAL, "a duplicate cookie");
		return;
	}
	do_register(u, arg_place(&arg), 0, "a new registration");
}

void op_register_hostile(void)
{
	struct ummunotify_register_ioctl arg = { 0 }, *p;
	struct ufd *u = fd_pick(false);
	size_t readable, writable;
	const char *kind;
	long ret;

	if (!u)
		return;
	random_range(&arg.start, &arg.end);
	arg.user_cookie = random_cookie();
	if (!u->foreign && reg_find(u, arg.user_cookie))
		arg.user_cookie ^= 1ULL << 62;	/* not the duplicate case */
	if (!u->foreign && reg_find(u, arg.user_cookie))
		return;
	switch (rng_below(&P.rng, 8)) {
	case 0:
		arg.end = arg.start;
		do_register(u, &arg, EINVAL, "start == end");
		return;
	case 1:
		arg.start = arg.end;
		arg.end -= rng_between(&P.rng, 1, arg.start < 4096 ? arg.start : 4096);
		do_register(u, &arg, EINVAL, "start > end");
		return;
	case 2:
		switch (rng_below(&P.rng, 4)) {
		case 0:
			arg.end = USER_TOP + 1;
			break;
		case 1:
			arg.end = ~0ULL;
			break;
		case 2:
			arg.start = 0xffff888000000000ULL;
			arg.end = ~0ULL;
			break;
		default:
			arg.end = USER_TOP + rng_between(&P.rng, 1, 1ULL << 50);
			break;
		}
		do_register(u, &arg, EINVAL, "end beyond user space");
		return;
	case 3:
		arg.flags = (uint32_t)rng_next(&P.rng) | 1U << rng_below(&P.rng, 32);
		do_register(u, &arg, EINVAL, "non-zero flags");
		return;
	case 4:
		arg.reserved = (uint32_t)rng_next(&P.rng) | 1U << rng_below(&P.rng, 32);
		do_register(u, &arg, EINVAL, "non-zero reserved");
		return;
	case 5:
		if (!u->foreign && u->nregs) {
			arg.user_cookie = u->regs[rng_below(&P.rng, u->nregs)].cookie;
			do_register(u, &arg, EINVAL, "a duplicate cookie");
			return;
		}
		__attribute__((fallthrough));
	case 6:
		/* edge ranges that are valid */
		if (rng_percent(&P.rng, 50)) {
			arg.start = 0;
			arg.end = 1;
		} else {
			arg.start = USER_TOP - 1;
			arg.end = USER_TOP;
		}
		if (!u->foreign && u->nregs >= MAX_REGS)
			return;
		do_register(u, &arg, 0, "an edge range");
		return;
	default:
		p = bad_pointer(sizeof(arg), &readable, &writable, &kind);
		if (readable >= sizeof(arg))
			return;	/* the read-only page would be a valid argument */
		set_what("REGISTER fd#%u through %s", u->id, kind);
		ret = ioctl(u->fd, UMMUNOTIFY_REGISTER_REGION, p);
		check_errno(ret, u->foreign ? EPERM : EFAULT, "REGISTER with a bad pointer");
		if (!u->foreign)
			mark_used(u, false);
		return;
	}
}

void op_unregister(void)
{
	struct ufd *u = fd_pick(false);
	size_t readable, writable;
	const char *kind = "";
	uint64_t cookie, *arg = &cookie;
	struct reg *r = NULL;
	long ret;
	int want;

	if (!u)
		return;
	if (u->foreign)
		cookie = random_cookie();
	else if (u->nregs && rng_percent(&P.rng, 80))
		cookie = u->regs[rng_below(&P.rng, u->nregs)].cookie;
	else
		do {
			cookie = random_cookie();
		} while (reg_find(u, cookie));
	if (rng_percent(&P.rng, 8)) {
		arg = bad_pointer(sizeof(cookie), &readable, &writable, &kind);
		if (readable >= sizeof(cookie))
			arg = &cookie;	/* a readable pointer is a good one */
	}
	if (!u->foreign && arg == &cookie)
		r = reg_find(u, cookie);
	set_what("UNREGISTER fd#%u cookie %#" PRIx64 "%s%s", u->id, cookie,
		 arg == &cookie ? "" : " through ", arg == &cookie ? "" : kind);
	ret = ioctl(u->fd, UMMUNOTIFY_UNREGISTER_REGION, arg);
	if (u->foreign) {
		check_errno(ret, EPERM, "UNREGISTER from another mm");
		return;
	}
	want = arg != &cookie ? EFAULT : r ? 0 : EINVAL;
	check_errno(ret, want, r ? "UNREGISTER of a live cookie" : "UNREGISTER");
	if (ret == 0 && r) {
		ring_unregistered(u, r);
		reg_remove(u, r);
	}
	mark_used(u, ret == 0);
}
