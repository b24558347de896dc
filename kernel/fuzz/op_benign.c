// SPDX-License-Identifier: GPL-2.0
/*
 * Invalidations that keep the pages mapped: a soft-dirty reset of the
 * whole address space (echo 4 > /proc/self/clear_refs), a fork() whose
 * child exits at once, and, from op_arena.c, mprotect().  A file that
 * agreed to UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES must not see its counter
 * move for them; without the feature a soft-dirty reset hits every
 * registration.
 *
 * "Must not move" holds only where nothing else may invalidate: files whose
 * registrations all lie in the arena (the racer works next to it, and the
 * kernel does not touch the arena on its own in the test guest: no NUMA
 * balancing, KSM, swap nor huge pages there).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

static uint64_t counter_before[MAX_FDS];

/* Whether @u's counter must stay put across an invalidation that keeps pages. */
static bool must_stay(struct ufd *u)
{
	uintptr_t lo = (uintptr_t)P.arena, hi = lo + ARENA_PAGES * P.page_size;
	unsigned int i;

	if (!u->open || u->foreign || !has_counter(u) ||
	    !(u->features & UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES))
		return false;
	for (i = 0; i < u->nregs; i++)
		if (u->regs[i].start < lo || u->regs[i].end > hi)
			return false;
	return true;
}

void benign_begin(void)
{
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++)
		if (P.fds[i].open && !P.fds[i].foreign && has_counter(&P.fds[i]))
			counter_before[i] = observe(&P.fds[i]);
}

/* @how kept every page: the counters of the files that asked stayed put. */
void benign_end(const char *how)
{
	struct ufd *u;
	unsigned int i;
	uint64_t now;

	for (i = 0; i < MAX_FDS; i++) {
		u = &P.fds[i];
		if (!must_stay(u))
			continue;
		now = observe(u);
		check(now == counter_before[i],
		      "fd#%u: %s kept the pages but moved the counter of a file with UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES from %"
		      PRIu64 " to %" PRIu64,
		      u->id, how, counter_before[i], now);
	}
}

void op_soft_dirty_reset(void)
{
	bool hit[MAX_REGS];
	uint64_t ring_head;
	struct ufd *u;
	unsigned int i, j;
	int fd;

	set_what("soft-dirty reset (clear_refs 4)");
	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (!check(fd >= 0, "open /proc/self/clear_refs: %s", errname(errno)))
		return;
	benign_begin();
	ring_hits_begin();
	if (!check(write(fd, "4", 1) == 1, "clear_refs 4: %s", errname(errno))) {
		close(fd);
		return;
	}
	close(fd);
	benign_end("clear_refs 4");
	/* Without the feature it is an invalidation of all user space. */
	for (i = 0; i < MAX_FDS; i++) {
		u = &P.fds[i];
		if (!u->open || u->foreign || !u->nregs ||
		    (u->features & UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES))
			continue;
		for (j = 0; j < u->nregs; j++)
			hit[j] = true;
		ring_head = ring_hits_end(u, hit, 0, UINT64_MAX, "clear_refs 4");
		for (j = 0; j < u->nregs; j++)
			reg_owed(&u->regs[j], ring_head);
		if (has_counter(u))
			check(observe(u) > counter_before[i],
			      "fd#%u: clear_refs 4 with %u registrations left the counter at %"
			      PRIu64, u->id, u->nregs, counter_before[i]);
	}
}

void op_fork_exit(void)
{
	int status = 0;
	pid_t pid, got;

	set_what("fork, the child exits at once");
	shared_flush();
	benign_begin();
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (!check(pid > 0, "fork: %s", errname(errno)))
		return;
	do
		got = waitpid(pid, &status, 0);
	while (got < 0 && errno == EINTR);
	check(got == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "a child that exits at once: waitpid %d (%s), status %#x", (int)got,
	      got < 0 ? errname(errno) : "ok", status);
	benign_end("fork + exit");
}
