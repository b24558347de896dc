// SPDX-License-Identifier: GPL-2.0
/*
 * fork() and memory pinned for DMA, backed by transparent huge pages.
 *
 * A huge page any part of which is pinned (FOLL_LONGTERM, as ibv_reg_mr()
 * pins; here io_uring's IORING_REGISTER_BUFFERS) cannot be shared with a
 * fork child, so fork() splits the parent's huge PMD into page table
 * entries mapping the same pages (copy_huge_pmd() -> __split_huge_pmd(), an
 * MMU_NOTIFY_CLEAR over the 2 MiB block) and copies the pinned pages for
 * the child.  That is reported even with UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES:
 * the counter moves once per huge page, the pages stay.  A second fork
 * finds the blocks split and reports nothing more.  With small pages
 * (MADV_NOHUGEPAGE), without a pin, or with MADV_DONTFORK nothing is split.
 *
 * Every test runs with the feature (alone, and with
 * UMMUNOTIFY_FEATURE_REPORT_AT_END: nothing is read during the fork, so
 * nothing is reported again) and without it; without it fork()'s
 * write-protection of the mapping (MMU_NOTIFY_PROTECTION_PAGE over the
 * whole VMA, copy_page_range()) is reported too: one more move per fork.
 * With it, fdinfo counts that write-protection as filtered, so a count of 0
 * means the fork was seen and kept, not missed.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include "kselftest_harness.h"
#include "umn_test.h"

#define HUGE_SIZE	(2UL << 20)
#define NR_HUGE		4
#define REGION_SIZE	(NR_HUGE * HUGE_SIZE)
#define FILL_BYTE	0x5a
#define NIC_BYTE	0xa5
#define PAGEMAP_PRESENT	0x8000000000000000ULL
#define PAGEMAP_PFN	((1ULL << 55) - 1)

/*
 * An io_uring whose only use is to pin buffers the way RDMA does
 * (pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) on 6.1 and 6.12) and to have
 * the kernel write into the pinned pages, as a NIC would.
 */
struct pin_ring {
	int fd;
	struct io_uring_params params;
	char *sq;
	size_t sq_len;
	char *cq;
	size_t cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
};

/* Sets up the ring; returns 0 or -errno of io_uring_setup(). */
static int ring_open(struct pin_ring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = syscall(SYS_io_uring_setup, 2, &r->params);
	return r->fd < 0 ? -errno : 0;
}

/* Maps the ring's queues; returns 0 or -errno. */
static int ring_map(struct pin_ring *r)
{
	struct io_uring_params *p = &r->params;

	r->sq_len = p->sq_off.array + p->sq_entries * sizeof(__u32);
	r->cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     r->fd, IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -errno;
	return 0;
}

static void ring_close(struct pin_ring *r)
{
	if (r->sq && r->sq != MAP_FAILED)
		munmap(r->sq, r->sq_len);
	if (r->cq && r->cq != MAP_FAILED)
		munmap(r->cq, r->cq_len);
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* Pins @n buffers, buffer index i being @iov[i]; returns 0 or -errno. */
static int ring_pin(struct pin_ring *r, const struct iovec *iov, unsigned int n)
{
	return syscall(SYS_io_uring_register, r->fd, IORING_REGISTER_BUFFERS,
		       iov, n) ? -errno : 0;
}

/*
 * One IORING_OP_READ_FIXED of @len bytes at offset @off of @file into
 * @buf, inside pinned buffer @index: the kernel writes through the pinned
 * pages, not through the process's page tables.  Returns the completion's
 * result (bytes read or -errno).  One request in flight, so the rings'
 * head and tail need no more than acquire/release.
 */
static int ring_read_fixed(struct pin_ring *r, int file, void *buf,
			   size_t len, off_t off, unsigned int index)
{
	const struct io_sqring_offsets *so = &r->params.sq_off;
	const struct io_cqring_offsets *co = &r->params.cq_off;
	__u32 *sq_tail = (__u32 *)(r->sq + so->tail);
	__u32 *sq_array = (__u32 *)(r->sq + so->array);
	__u32 *cq_head = (__u32 *)(r->cq + co->head);
	__u32 *cq_tail = (__u32 *)(r->cq + co->tail);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)(r->cq + co->cqes);
	__u32 sq_mask = *(__u32 *)(r->sq + so->ring_mask);
	__u32 cq_mask = *(__u32 *)(r->cq + co->ring_mask);
	__u32 tail = *sq_tail, head;
	struct io_uring_sqe *sqe = &r->sqes[tail & sq_mask];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ_FIXED;
	sqe->fd = file;
	sqe->addr = umn_addr(buf);
	sqe->len = len;
	sqe->off = off;
	sqe->buf_index = index;
	sq_array[tail & sq_mask] = tail & sq_mask;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0)
		return -errno;
	head = *cq_head;
	if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
		return -EPROTO;		/* GETEVENTS returned without it */
	res = cqes[head & cq_mask].res;
	__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/*
 * The "NIC" writes NIC_BYTE into every pinned buffer (read from a file);
 * returns 0 when all of it went through, else -errno.  The caller then
 * reads the buffers through its own mapping: NIC_BYTE there means that the
 * mapping still maps the pinned pages (a page replaced since would hold
 * FILL_BYTE or zeros).
 */
static int nic_write_pinned(struct pin_ring *r, const struct iovec *iov,
			    unsigned int n)
{
	int file = memfd_create("fork_thp_nic", MFD_CLOEXEC);
	unsigned int i;
	size_t done;
	void *data;
	int ret = 0;

	if (file < 0)
		return -errno;
	data = ftruncate(file, REGION_SIZE) ? MAP_FAILED :
	       mmap(NULL, REGION_SIZE, PROT_WRITE, MAP_SHARED, file, 0);
	if (data == MAP_FAILED) {
		ret = -errno;
		close(file);
		return ret;
	}
	memset(data, NIC_BYTE, REGION_SIZE);
	munmap(data, REGION_SIZE);
	for (i = 0; i < n && !ret; i++) {
		for (done = 0; done < iov[i].iov_len && !ret; ) {
			int got = ring_read_fixed(r, file,
						  (char *)iov[i].iov_base + done,
						  iov[i].iov_len - done, done, i);

			if (got <= 0)
				ret = got ? got : -ENODATA;
			else
				done += got;
		}
	}
	close(file);
	return ret;
}

/*
 * AnonHugePages of the mapping that starts at @start, in kB (huge pages
 * mapped by a PMD; a split huge page no longer counts), or -errno.
 */
static long anon_huge_kb(const void *start)
{
	char line[256], want[32];
	bool in_vma = false;
	long kb = -ENOENT;
	FILE *f;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)umn_addr(start));
	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			in_vma = true;
		else if (in_vma && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Why the region is not wholly backed by huge pages; "" when it is. */
static void why_not_huge(const char *region, char *why, size_t len)
{
	char mode[128] = "?";
	long kb = anon_huge_kb(region);
	FILE *f;

	why[0] = '\0';
	if (kb == (long)(REGION_SIZE >> 10))
		return;
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			strcpy(mode, "?");
		mode[strcspn(mode, "\n")] = '\0';
		fclose(f);
	}
	snprintf(why, len,
		 "%ld kB of the %lu kB region are huge pages, not all (transparent_hugepage/enabled: %s)",
		 kb, REGION_SIZE >> 10, mode);
}

/*
 * The page frame of each page of [@p, @p + @len) from /proc/self/pagemap
 * (0 when not present, and always 0 for a reader without CAP_SYS_ADMIN).
 */
static int read_frames(const char *p, size_t len, __u64 *frames)
{
	size_t pg = umn_page_size(), n = len / pg, i;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pread(fd, frames, n * sizeof(*frames),
		    (off_t)(umn_addr(p) / pg * sizeof(*frames)));
	close(fd);
	if (got != (ssize_t)(n * sizeof(*frames)))
		return -EIO;
	for (i = 0; i < n; i++)
		frames[i] = frames[i] & PAGEMAP_PRESENT ? frames[i] & PAGEMAP_PFN : 0;
	return 0;
}

static bool any_frame(const __u64 *frames, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (frames[i])
			return true;
	return false;
}

/* A test's state: the file, its counter, the region and its pins. */
struct fork_thp_state {
	int fd;
	const __u64 *counter;
	struct umn_counts counts;	/* fdinfo's, as last checked */
	size_t pg;
	void *reserved;			/* PROT_NONE around the region */
	size_t reserved_len;
	char *region;			/* REGION_SIZE bytes, 2 MiB aligned, one VMA */
	struct pin_ring ring;
	struct iovec pinned[NR_HUGE];	/* pinned buffer i is pinned[i] */
	unsigned int npinned;
	__u64 frames_before[REGION_SIZE / 4096];
	__u64 frames_after[REGION_SIZE / 4096];
};

static __u64 counter_now(const struct fork_thp_state *st)
{
	return __atomic_load_n(st->counter, __ATOMIC_ACQUIRE);
}

/*
 * Maps the region, 2 MiB aligned, as a VMA of its own between PROT_NONE
 * pages, applies @advice (MADV_HUGEPAGE, MADV_NOHUGEPAGE) and populates it
 * by writing FILL_BYTE, so that each 2 MiB block is faulted in as one huge
 * page where @advice and the system allow.
 */
static void map_region(struct __test_metadata *_metadata,
		       struct fork_thp_state *st, int advice)
{
	unsigned long start;

	st->reserved_len = REGION_SIZE + HUGE_SIZE + st->pg;
	st->reserved = mmap(NULL, st->reserved_len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, st->reserved) TH_LOG("%s", strerror(errno));
	start = (umn_addr(st->reserved) + st->pg + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	st->region = mmap((void *)start, REGION_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)start, st->region) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, madvise(st->region, REGION_SIZE, advice))
		TH_LOG("madvise %d: %s", advice, strerror(errno));
	memset(st->region, FILL_BYTE, REGION_SIZE);
}

/*
 * Pins st->pinned[] in a new ring.  Returns false, with @why set, when the
 * test cannot pin here (no io_uring, or the pin limit), and asserts
 * everything else.
 */
static bool pin(struct __test_metadata *_metadata, struct fork_thp_state *st,
		char *why, size_t why_len)
{
	int ret = ring_open(&st->ring);

	if (ret) {
		snprintf(why, why_len,
			 "io_uring_setup: %s (CONFIG_IO_URING, kernel.io_uring_disabled?)",
			 strerror(-ret));
		return false;
	}
	ret = ring_map(&st->ring);
	ASSERT_EQ(0, ret) TH_LOG("mmap io_uring: %s", strerror(-ret));
	ret = ring_pin(&st->ring, st->pinned, st->npinned);
	if (ret == -ENOMEM) {
		snprintf(why, why_len, "IORING_REGISTER_BUFFERS: %s (RLIMIT_MEMLOCK?)",
			 strerror(-ret));
		return false;
	}
	ASSERT_EQ(0, ret) TH_LOG("IORING_REGISTER_BUFFERS: %s", strerror(-ret));
	return true;
}

static __u64 block_cookie(unsigned int i)
{
	return 100 + i;
}

/* What a test pins: nothing, the region, or a page in each huge page. */
enum fork_thp_pin {
	PIN_NOTHING,
	PIN_REGION,
	PIN_PAGE_PER_BLOCK,
};

/*
 * The state every test forks in: the region mapped with @advice and
 * populated, @what pinned, one registration per 2 MiB block so that each
 * block's events are seen, the page frames recorded.  With MADV_HUGEPAGE
 * every block must be one huge page, with MADV_NOHUGEPAGE none.  Returns
 * false, with @why set, when the test cannot run here.
 */
static bool prepare(struct __test_metadata *_metadata,
		    struct fork_thp_state *st, int advice,
		    enum fork_thp_pin what, char *why, size_t why_len)
{
	unsigned int i;

	map_region(_metadata, st, advice);
	if (what == PIN_REGION) {
		st->pinned[0].iov_base = st->region;
		st->pinned[0].iov_len = REGION_SIZE;
		st->npinned = 1;
	} else if (what == PIN_PAGE_PER_BLOCK) {
		for (i = 0; i < NR_HUGE; i++) {
			st->pinned[i].iov_base = st->region + i * HUGE_SIZE + HUGE_SIZE / 2;
			st->pinned[i].iov_len = st->pg;
		}
		st->npinned = NR_HUGE;
	}
	if (st->npinned && !pin(_metadata, st, why, why_len))
		return false;
	if (advice == MADV_NOHUGEPAGE) {
		ASSERT_EQ(0, anon_huge_kb(st->region));
	} else {
		why_not_huge(st->region, why, why_len);
		if (why[0])
			return false;
	}
	for (i = 0; i < NR_HUGE; i++) {
		ASSERT_EQ(0, umn_register_ptr(st->fd, st->region + i * HUGE_SIZE,
					      HUGE_SIZE, block_cookie(i)));
	}
	ASSERT_EQ(0, read_frames(st->region, REGION_SIZE, st->frames_before));
	return true;
}

/* fork(); the child exits at once; waits for it. */
static void fork_child_exits(struct __test_metadata *_metadata)
{
	int status;
	pid_t child = fork();

	ASSERT_LE(0, child);
	if (child == 0)
		_exit(0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
}

/*
 * Since the last check (@base: the counter then), the counter moved
 * @moves times, fdinfo counted @moves reported and @filtered skipped
 * invalidations, and every block's registration has exactly one event
 * naming the whole block if it was hit (@hits times: HINT when once), or
 * none if @hits is 0.  Drains the file.
 */
static void expect_blocks(struct __test_metadata *_metadata,
			  struct fork_thp_state *st, __u64 base,
			  unsigned int moves, unsigned int hits,
			  unsigned int filtered)
{
	struct umn_counts c;
	unsigned int i, times;

	ASSERT_EQ(0, umn_read_counts(st->fd, &c));
	TH_LOG("counter %llu (from %llu), fdinfo reported %lld filtered %lld",
	       (unsigned long long)counter_now(st), (unsigned long long)base,
	       c.reported - st->counts.reported, c.filtered - st->counts.filtered);
	EXPECT_EQ(base + moves, counter_now(st));
	EXPECT_EQ(moves, c.reported - st->counts.reported);
	EXPECT_EQ(filtered, c.filtered - st->counts.filtered);
	st->counts = c;
	if (!hits) {
		umn_expect_no_event(st->fd);
		return;
	}
	ASSERT_EQ(0, umn_drain(st->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	EXPECT_EQ(NR_HUGE, umn_scratch.ninval);
	EXPECT_EQ(counter_now(st), umn_scratch.last_counter);
	for (i = 0; i < NR_HUGE; i++) {
		const struct ummunotify_event *ev =
			umn_find(&umn_scratch, block_cookie(i), &times);
		__u64 block = umn_addr(st->region + i * HUGE_SIZE);

		ASSERT_NE(NULL, ev) TH_LOG("no event for block %u", i);
		EXPECT_EQ(1, times);
		EXPECT_EQ(umn_expected_flags(hits), ev->flags);
		EXPECT_EQ(block, ev->hint_start);
		EXPECT_EQ(block + HUGE_SIZE, ev->hint_end);
	}
}

/*
 * The region maps the pages recorded by prepare() (compared when this
 * reader may see page frames: root), and the pinned buffers are what the
 * mapping maps: what the "NIC" writes into the pinned pages shows through
 * the mapping.
 */
static void expect_same_pages(struct __test_metadata *_metadata,
			      struct fork_thp_state *st)
{
	size_t npages = REGION_SIZE / st->pg, i;
	int ret;

	ASSERT_EQ(0, read_frames(st->region, REGION_SIZE, st->frames_after));
	if (any_frame(st->frames_before, npages)) {
		for (i = 0; i < npages; i++) {
			ASSERT_EQ(st->frames_before[i], st->frames_after[i])
				TH_LOG("page %zu moved from frame %#llx to %#llx", i,
				       (unsigned long long)st->frames_before[i],
				       (unsigned long long)st->frames_after[i]);
		}
	} else {
		TH_LOG("page frames hidden from uid %d: not compared", (int)getuid());
	}
	if (!st->npinned)
		return;
	ret = nic_write_pinned(&st->ring, st->pinned, st->npinned);
	ASSERT_EQ(0, ret) TH_LOG("READ_FIXED: %s", strerror(-ret));
	for (i = 0; i < st->npinned; i++) {
		EXPECT_TRUE(umn_all_bytes(st->pinned[i].iov_base, st->pinned[i].iov_len, NIC_BYTE))
			TH_LOG("pinned buffer %zu is not what the mapping maps", i);
	}
}

FIXTURE(fork_thp) {
	struct fork_thp_state st;
};

FIXTURE_VARIANT(fork_thp) {
	__u32 features;
};

FIXTURE_VARIANT_ADD(fork_thp, skip_same_pages) {
	.features = UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES,
};

/* What the Java source asks for: nothing read meanwhile, nothing more. */
FIXTURE_VARIANT_ADD(fork_thp, skip_same_pages_report_at_end) {
	.features = UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES |
		    UMMUNOTIFY_FEATURE_REPORT_AT_END,
};

FIXTURE_VARIANT_ADD(fork_thp, every_invalidation) {
	.features = 0,
};

FIXTURE_SETUP(fork_thp)
{
	struct fork_thp_state *st = &self->st;
	__u32 features = variant->features;

	st->pg = umn_page_size();
	st->ring.fd = -1;
	ASSERT_EQ(4096, st->pg);
	st->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, st->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-st->fd));
	ASSERT_EQ(0, ioctl(st->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features))
		TH_LOG("EXCHANGE_FEATURES: %s", strerror(errno));
	ASSERT_EQ(variant->features, features);
	st->counter = (const __u64 *)umn_map_counter(st->fd);
	ASSERT_NE(NULL, st->counter) TH_LOG("mmap counter: %s", strerror(errno));
	ASSERT_EQ(0, umn_read_counts(st->fd, &st->counts));
}

FIXTURE_TEARDOWN(fork_thp)
{
	ring_close(&self->st.ring);
	if (self->st.reserved)
		munmap(self->st.reserved, self->st.reserved_len);
	close(self->st.fd);
}

/*
 * Each test's expectations, in moves and in hits per block, are those with
 * the feature plus the moves of fork()'s write-protection of the mapping:
 * one per fork without the feature, none with it (fdinfo counts it as
 * filtered instead).
 */
static unsigned int write_protection_moves(__u32 features)
{
	return !(features & UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES);
}

/* The whole region pinned as one buffer, huge pages: one move per block. */
TEST_F(fork_thp, pinned_thp_fork_reports_each_huge_page_once)
{
	unsigned int wp = write_protection_moves(variant->features);
	struct fork_thp_state *st = &self->st;
	char why[256];

	if (!prepare(_metadata, st, MADV_HUGEPAGE, PIN_REGION, why, sizeof(why)))
		SKIP(return, "%s", why);
	fork_child_exits(_metadata);
	expect_blocks(_metadata, st, 0, NR_HUGE + wp, 1 + wp, !wp);
	EXPECT_EQ(0, anon_huge_kb(st->region)) TH_LOG("the huge PMDs were not split");
	EXPECT_TRUE(umn_all_bytes(st->region, REGION_SIZE, FILL_BYTE));
	expect_same_pages(_metadata, st);
}

/* The first fork split the blocks: a second one splits nothing. */
TEST_F(fork_thp, pinned_thp_second_fork_keeps_registrations)
{
	unsigned int wp = write_protection_moves(variant->features);
	struct fork_thp_state *st = &self->st;
	char why[256];
	__u64 base;

	if (!prepare(_metadata, st, MADV_HUGEPAGE, PIN_REGION, why, sizeof(why)))
		SKIP(return, "%s", why);
	fork_child_exits(_metadata);
	expect_blocks(_metadata, st, 0, NR_HUGE + wp, 1 + wp, !wp);
	base = counter_now(st);
	fork_child_exits(_metadata);
	expect_blocks(_metadata, st, base, wp, wp, !wp);
	expect_same_pages(_metadata, st);
}

/*
 * One page pinned in the middle of each huge page: the whole huge page is
 * split, so memory next to a pinned buffer is reported too.
 */
TEST_F(fork_thp, partly_pinned_thp_fork_reports_whole_huge_pages)
{
	unsigned int wp = write_protection_moves(variant->features);
	struct fork_thp_state *st = &self->st;
	char why[256];

	if (!prepare(_metadata, st, MADV_HUGEPAGE, PIN_PAGE_PER_BLOCK, why, sizeof(why)))
		SKIP(return, "%s", why);
	fork_child_exits(_metadata);
	expect_blocks(_metadata, st, 0, NR_HUGE + wp, 1 + wp, !wp);
	EXPECT_EQ(0, anon_huge_kb(st->region)) TH_LOG("the huge PMDs were not split");
	expect_same_pages(_metadata, st);
}

/* MADV_NOHUGEPAGE before the memory is touched: small pages, no split. */
TEST_F(fork_thp, pinned_nohugepage_fork_keeps_registrations)
{
	unsigned int wp = write_protection_moves(variant->features);
	struct fork_thp_state *st = &self->st;
	char why[256];

	if (!prepare(_metadata, st, MADV_NOHUGEPAGE, PIN_REGION, why, sizeof(why)))
		SKIP(return, "%s", why);
	fork_child_exits(_metadata);
	expect_blocks(_metadata, st, 0, wp, wp, !wp);
	EXPECT_TRUE(umn_all_bytes(st->region, REGION_SIZE, FILL_BYTE));
	expect_same_pages(_metadata, st);
}

/*
 * Huge pages nobody pinned: fork write-protects the huge PMDs (shared with
 * the child), and once the child is gone the parent's write reuses them.
 */
TEST_F(fork_thp, unpinned_thp_fork_and_write_keeps_registrations)
{
	unsigned int wp = write_protection_moves(variant->features);
	struct fork_thp_state *st = &self->st;
	char why[256];

	if (!prepare(_metadata, st, MADV_HUGEPAGE, PIN_NOTHING, why, sizeof(why)))
		SKIP(return, "%s", why);
	fork_child_exits(_metadata);
	memset(st->region, FILL_BYTE + 1, REGION_SIZE);
	expect_blocks(_metadata, st, 0, wp, wp, !wp);
	EXPECT_EQ((long)(REGION_SIZE >> 10), anon_huge_kb(st->region));
	expect_same_pages(_metadata, st);
}

/*
 * MADV_DONTFORK (what ibv_fork_init() applies to registered memory on
 * kernels that do not copy pinned pages at fork; on 6.1 and 6.12 it does
 * nothing, so an application must ask for it): the child gets no copy of
 * the mapping and fork() leaves the parent's page tables alone, with or
 * without the feature.
 */
TEST_F(fork_thp, dontfork_pinned_thp_fork_invalidates_nothing)
{
	struct fork_thp_state *st = &self->st;
	char why[256];

	if (!prepare(_metadata, st, MADV_HUGEPAGE, PIN_REGION, why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, madvise(st->region, REGION_SIZE, MADV_DONTFORK));
	fork_child_exits(_metadata);
	expect_blocks(_metadata, st, 0, 0, 0, 0);
	EXPECT_EQ((long)(REGION_SIZE >> 10), anon_huge_kb(st->region));
	expect_same_pages(_metadata, st);
}

TEST_HARNESS_MAIN
