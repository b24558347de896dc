// SPDX-License-Identifier: GPL-2.0
/*
 * Every way a process can change the mapping behind a watched range must be
 * reported: mremap() (move, shrink), madvise() (DONTNEED, FREE, REMOVE),
 * mmap(MAP_FIXED) over the range, brk() shrinking the heap, shmdt(), and a
 * write after fork() (copy on write).  Operations the kernel performs as one
 * MMU notifier invalidation must move the counter by exactly one and keep
 * the hint; for the compound ones (mremap move, fork + write) the test
 * checks the rule that ties the two: one hit keeps the hint, more drop it.
 */
#define _GNU_SOURCE
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "umn_test.h"

FIXTURE(sources) {
	int fd;
	const uint64_t *counter;
	size_t pg;
};

FIXTURE_SETUP(sources)
{
	self->pg = umn_page_size();
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
	self->counter = umn_map_counter(self->fd);
	ASSERT_NE(NULL, self->counter) TH_LOG("mmap counter: %s", strerror(errno));
}

FIXTURE_TEARDOWN(sources)
{
	close(self->fd);
}

/*
 * Checks the event of a registration [start, end) hit by an operation that
 * moved the counter by @hits (>= 1): with one hit, FLAG_HINT and exactly
 * [hint_start, hint_end); with more, no hint and the whole range.
 */
static void expect_hits(struct __test_metadata *_metadata, int fd,
			uint64_t cookie, uint64_t start, uint64_t end,
			uint64_t hint_start, uint64_t hint_end, uint64_t hits)
{
	ASSERT_LE(1, hits);
	if (hits == 1)
		umn_expect_single_event(fd, cookie, UMMUNOTIFY_EVENT_FLAG_HINT,
					hint_start, hint_end, hits);
	else
		umn_expect_single_event(fd, cookie, 0, start, end, hits);
}

static void fill(char *p, size_t len, int byte)
{
	memset(p, byte, len);
}

TEST_F(sources, mremap_move_reports_old_range)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2), *dst = umn_map_pages(2), *q;
	uint64_t hits;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, dst);
	fill(p, 2 * pg, 0x5a);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * pg, 1));

	q = mremap(p, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(errno));
	ASSERT_EQ(0x5a, q[pg]);
	hits = umn_counter(self->counter);
	TH_LOG("mremap move: %" PRIu64 " hit(s)", hits);
	/* Page tables moved, then the old range unmapped: 2 on Linux 6.1. */
	expect_hits(_metadata, self->fd, 1, umn_addr(p), umn_addr(p + 2 * pg),
		    umn_addr(p), umn_addr(p + 2 * pg), hits);
	munmap(q, 2 * pg);
}

TEST_F(sources, mremap_shrink_reports_released_tail)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(3);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 3 * pg, 2));
	ASSERT_EQ(p, mremap(p, 3 * pg, pg, 0));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 2, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), umn_addr(p + 3 * pg), 1);
	munmap(p, pg);
}

TEST_F(sources, mremap_grow_in_place_reports_nothing)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, munmap(p + pg, pg));	/* room to grow into */
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * pg, 3));
	ASSERT_EQ(p, mremap(p, pg, 2 * pg, 0)) TH_LOG("mremap: %s", strerror(errno));
	ASSERT_EQ(0, umn_counter(self->counter));
	umn_expect_no_event(self->fd);

	ASSERT_EQ(0, munmap(p, 2 * pg));
	umn_expect_single_event(self->fd, 3, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p), umn_addr(p + 2 * pg), 1);
}

static void madvise_reports_range(struct __test_metadata *_metadata, int fd,
				  const uint64_t *counter, char *p, int advice)
{
	size_t pg = umn_page_size();

	fill(p, 3 * pg, 0x33);
	ASSERT_EQ(0, umn_register_ptr(fd, p, 3 * pg, 4));
	ASSERT_EQ(0, madvise(p + pg, pg, advice)) TH_LOG("madvise: %s", strerror(errno));
	ASSERT_EQ(1, umn_counter(counter));
	umn_expect_single_event(fd, 4, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), umn_addr(p + 2 * pg), 1);
	/* The pages around it were left alone. */
	ASSERT_EQ(0x33, p[0]);
	ASSERT_EQ(0x33, p[2 * pg]);
}

TEST_F(sources, madvise_dontneed_reports_range)
{
	char *p = umn_map_pages(3);

	ASSERT_NE(NULL, p);
	madvise_reports_range(_metadata, self->fd, self->counter, p, MADV_DONTNEED);
	ASSERT_EQ(0, p[self->pg]);	/* private anonymous: zero-fill again */
	munmap(p, 3 * self->pg);
}

TEST_F(sources, madvise_free_reports_range)
{
	char *p = umn_map_pages(3);

	ASSERT_NE(NULL, p);
	madvise_reports_range(_metadata, self->fd, self->counter, p, MADV_FREE);
	munmap(p, 3 * self->pg);
}

TEST_F(sources, madvise_remove_on_memfd_mapping_reports_range)
{
	size_t pg = self->pg;
	int mfd = memfd_create("umn-remove", MFD_CLOEXEC);
	char *p;

	ASSERT_LE(0, mfd) TH_LOG("memfd_create: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(mfd, 3 * pg));
	p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	madvise_reports_range(_metadata, self->fd, self->counter, p, MADV_REMOVE);
	ASSERT_EQ(0, p[pg]);		/* the hole punched in the file */
	munmap(p, 3 * pg);
	close(mfd);
}

TEST_F(sources, madvise_remove_on_shared_anonymous_mapping_reports_range)
{
	size_t pg = self->pg;
	char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	madvise_reports_range(_metadata, self->fd, self->counter, p, MADV_REMOVE);
	ASSERT_EQ(0, p[pg]);
	munmap(p, 3 * pg);
}

TEST_F(sources, mmap_fixed_over_watched_range_reports_it)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(3), *q;

	ASSERT_NE(NULL, p);
	fill(p, 3 * pg, 0x44);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 3 * pg, 5));
	q = mmap(p + pg, pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p + pg, q);
	ASSERT_EQ(0, q[0]);
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 5, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), umn_addr(p + 2 * pg), 1);
	munmap(p, 3 * pg);
}

TEST_F(sources, brk_shrink_reports_released_pages)
{
	size_t pg = self->pg;
	char *cur = sbrk(0), *base;
	size_t pad;

	ASSERT_NE((void *)-1, cur);
	pad = (pg - umn_addr(cur) % pg) % pg;
	/* Three whole pages of heap of our own; no malloc() until we shrink. */
	ASSERT_NE((void *)-1, sbrk(pad + 3 * pg)) TH_LOG("sbrk: %s", strerror(errno));
	base = cur + pad;
	fill(base, 3 * pg, 0x66);
	ASSERT_EQ(0, umn_register_ptr(self->fd, base + pg, pg, 6));
	ASSERT_EQ(0, umn_register_ptr(self->fd, base, pg, 60));

	ASSERT_NE((void *)-1, sbrk(-(intptr_t)(2 * pg)));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 6, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(base + pg), umn_addr(base + 2 * pg), 1);
	ASSERT_EQ(0x66, base[0]);
	sbrk(-(intptr_t)(pad + pg));
}

TEST_F(sources, shmdt_reports_detached_segment)
{
	size_t pg = self->pg;
	int id = shmget(IPC_PRIVATE, 2 * pg, IPC_CREAT | 0600);
	char *p;

	ASSERT_LE(0, id) TH_LOG("shmget: %s", strerror(errno));
	p = shmat(id, NULL, 0);
	/* Removed now, destroyed at the last detach. */
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
	ASSERT_NE((void *)-1, p) TH_LOG("shmat: %s", strerror(errno));
	fill(p, 2 * pg, 0x77);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * pg, 7));
	ASSERT_EQ(0, shmdt(p));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 7, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p), umn_addr(p + 2 * pg), 1);
}

TEST_F(sources, fork_then_parent_write_reports_registration)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2);
	char *shared = mmap(NULL, pg, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const struct ummunotify_event *ev;
	uint64_t hits;
	int go[2];
	pid_t child;
	int status;
	char byte;

	ASSERT_NE(NULL, p);
	ASSERT_NE(MAP_FAILED, shared);
	fill(p, 2 * pg, 0x11);
	shared[0] = 1;
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * pg, 8));
	/* Not copy-on-write: fork() must leave it alone. */
	ASSERT_EQ(0, umn_register_ptr(self->fd, shared, pg, 80));
	ASSERT_EQ(0, pipe(go));

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		/* Keep the pages shared until the parent has written. */
		close(go[1]);
		_exit(read(go[0], &byte, 1) == 0 && p[0] == 0x11 ? 0 : 1);
	}
	close(go[0]);
	p[0] = 0x22;			/* copy on write in the parent */
	shared[0] = 2;
	/*
	 * fork() write-protects the parent's pages (one hit on 6.1) and the
	 * write copies the page (another).  The contract: at least one hit,
	 * only this registration reported, hint kept only for a single hit.
	 */
	hits = umn_counter(self->counter);
	TH_LOG("fork + write: %" PRIu64 " hit(s)", hits);
	ASSERT_LE(1, hits);
	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	ASSERT_EQ(1, umn_scratch.ninval);
	ev = &umn_scratch.inval[0];
	EXPECT_EQ(8, ev->user_cookie_counter);
	EXPECT_EQ(hits, umn_scratch.last_counter);
	if (hits == 1) {
		EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, ev->flags);
		EXPECT_LE(umn_addr(p), ev->hint_start);
		EXPECT_GE(umn_addr(p + 2 * pg), ev->hint_end);
		EXPECT_TRUE(ev->hint_start <= umn_addr(p) && umn_addr(p) < ev->hint_end);
	} else {
		EXPECT_EQ(0, ev->flags);
		EXPECT_EQ(umn_addr(p), ev->hint_start);
		EXPECT_EQ(umn_addr(p + 2 * pg), ev->hint_end);
	}
	close(go[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child saw the parent's write: status %#x", status);
	munmap(p, 2 * pg);
	munmap(shared, pg);
}

TEST_HARNESS_MAIN
