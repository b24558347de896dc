// SPDX-License-Identifier: GPL-2.0
/*
 * UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES: with it, what keeps the pages mapped
 * (mprotect() either way, a soft-dirty reset, fork() whose child exits or
 * execs, userfaultfd write-protection, MADV_COLD) leaves the counter alone
 * and queues nothing; what may replace or remove them (munmap, partial
 * munmap, MADV_DONTNEED, MADV_FREE, MADV_PAGEOUT, mremap, MAP_FIXED, a
 * copy-on-write break while a fork child lives, move_pages() and
 * migrate_pages() between NUMA nodes) is still reported, every one.  Every
 * test runs twice: with the feature and without it, where every
 * invalidation is reported as in 2010.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "umn_test.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE	(1 << 1)
#endif
#define BENIGN_MPOL_BIND	2

FIXTURE(benign) {
	int fd;
	const uint64_t *counter;
	size_t pg;
	struct umn_counts before;
};

FIXTURE_VARIANT(benign) {
	bool skip_same_pages;
};

FIXTURE_VARIANT_ADD(benign, skip_same_pages) {
	.skip_same_pages = true,
};

FIXTURE_VARIANT_ADD(benign, every_invalidation) {
	.skip_same_pages = false,
};

static bool two_numa_nodes(void)
{
	return access("/sys/devices/system/node/node1", F_OK) == 0;
}

/*
 * On a NUMA machine, opts this process out of automatic NUMA balancing,
 * whose scan is an invalidation that keeps the pages and whose hinting
 * faults may migrate them: exact counts cannot allow for either.  A bind
 * policy over every node lacks MPOL_F_MOF, so the scan skips our mappings;
 * move_pages() and migrate_pages() still may use both nodes.
 */
static int opt_out_of_numa_balancing(void)
{
	unsigned long nodes = 3;

	if (!two_numa_nodes())
		return 0;
	return syscall(SYS_set_mempolicy, BENIGN_MPOL_BIND, &nodes,
		       8 * sizeof(nodes)) ? -errno : 0;
}

FIXTURE_SETUP(benign)
{
	__u32 features = variant->skip_same_pages ?
			 UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES : 0;
	__u32 asked = features;

	self->pg = umn_page_size();
	ASSERT_EQ(0, opt_out_of_numa_balancing());
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
	ASSERT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features))
		TH_LOG("EXCHANGE_FEATURES: %s", strerror(errno));
	ASSERT_EQ(asked, features);
	self->counter = umn_map_counter(self->fd);
	ASSERT_NE(NULL, self->counter) TH_LOG("mmap counter: %s", strerror(errno));
	ASSERT_EQ(0, umn_read_counts(self->fd, &self->before));
	ASSERT_EQ(0, self->before.reported);
	ASSERT_EQ(0, self->before.filtered);
}

FIXTURE_TEARDOWN(benign)
{
	close(self->fd);
}

/*
 * After an operation that keeps the pages of @cookie's registration and
 * that the kernel does invalidate: with the feature, nothing moved and fdinfo
 * counted it as filtered; without, the registration was reported.
 */
static void expect_kept(struct __test_metadata *_metadata, int fd,
			const uint64_t *counter, bool skip, uint64_t cookie)
{
	struct umn_counts c;
	unsigned int times;

	ASSERT_EQ(0, umn_read_counts(fd, &c));
	TH_LOG("counter %" PRIu64 ", fdinfo reported %lld filtered %lld",
	       umn_counter(counter), c.reported, c.filtered);
	if (skip) {
		EXPECT_EQ(0, umn_counter(counter));
		EXPECT_EQ(0, c.reported);
		EXPECT_LE(1, c.filtered);
		umn_expect_no_event(fd);
		return;
	}
	EXPECT_LE(1, umn_counter(counter));
	EXPECT_EQ(umn_counter(counter), (uint64_t)c.reported);
	EXPECT_EQ(0, c.filtered);
	ASSERT_EQ(0, umn_drain(fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	EXPECT_NE(NULL, umn_find(&umn_scratch, cookie, &times));
	EXPECT_EQ(1, times);
}

/*
 * After an operation that replaced or removed pages of @cookie's
 * registration: reported, with or without the feature, and never filtered
 * away.
 */
static void expect_reported(struct __test_metadata *_metadata, int fd,
			    const uint64_t *counter, uint64_t cookie)
{
	struct umn_counts c;
	unsigned int times;

	ASSERT_EQ(0, umn_read_counts(fd, &c));
	TH_LOG("counter %" PRIu64 ", fdinfo reported %lld filtered %lld",
	       umn_counter(counter), c.reported, c.filtered);
	ASSERT_LE(1, umn_counter(counter));
	EXPECT_LE(1, c.reported);
	ASSERT_EQ(0, umn_drain(fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	EXPECT_NE(NULL, umn_find(&umn_scratch, cookie, &times))
		TH_LOG("no event for cookie %" PRIu64, cookie);
	EXPECT_EQ(1, times);
	EXPECT_EQ(umn_counter(counter), umn_scratch.last_counter);
}

static void fill(char *p, size_t len, int byte)
{
	memset(p, byte, len);
}

TEST_F(benign, mprotect_read_only_keeps_registration)
{
	char *p = umn_map_pages(4);

	ASSERT_NE(NULL, p);
	fill(p, 4 * self->pg, 0x31);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 4 * self->pg, 1));
	ASSERT_EQ(0, mprotect(p, 4 * self->pg, PROT_READ));
	expect_kept(_metadata, self->fd, self->counter, variant->skip_same_pages, 1);
	EXPECT_TRUE(umn_all_bytes(p, 4 * self->pg, 0x31));
	munmap(p, 4 * self->pg);
}

TEST_F(benign, mprotect_back_to_read_write_keeps_registration)
{
	char *p = umn_map_pages(4);

	ASSERT_NE(NULL, p);
	fill(p, 4 * self->pg, 0x32);
	ASSERT_EQ(0, mprotect(p, 4 * self->pg, PROT_READ));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 4 * self->pg, 2));
	ASSERT_EQ(0, mprotect(p, 4 * self->pg, PROT_READ | PROT_WRITE));
	p[0] = 0x33;		/* the same page, now writable: no fault path copy */
	expect_kept(_metadata, self->fd, self->counter, variant->skip_same_pages, 2);
	munmap(p, 4 * self->pg);
}

TEST_F(benign, mprotect_none_and_back_keeps_registration)
{
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	fill(p, 2 * self->pg, 0x34);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * self->pg, 3));
	ASSERT_EQ(0, mprotect(p, 2 * self->pg, PROT_NONE));
	ASSERT_EQ(0, mprotect(p, 2 * self->pg, PROT_READ | PROT_WRITE));
	expect_kept(_metadata, self->fd, self->counter, variant->skip_same_pages, 3);
	EXPECT_TRUE(umn_all_bytes(p, 2 * self->pg, 0x34));
	munmap(p, 2 * self->pg);
}

TEST_F(benign, soft_dirty_reset_keeps_registration)
{
	char *p = umn_map_pages(2);
	int clear;

	ASSERT_NE(NULL, p);
	fill(p, 2 * self->pg, 0x35);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * self->pg, 4));
	clear = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, clear) TH_LOG("open clear_refs: %s", strerror(errno));
	ASSERT_EQ(1, write(clear, "4", 1)) TH_LOG("clear_refs: %s", strerror(errno));
	close(clear);
	expect_kept(_metadata, self->fd, self->counter, variant->skip_same_pages, 4);
	p[0] = 0x36;		/* soft-dirty fault: same page */
	EXPECT_EQ(0, variant->skip_same_pages ? umn_counter(self->counter) : 0);
	munmap(p, 2 * self->pg);
}

/* fork(); the child runs @exec_path (or just exits when NULL); wait for it. */
static void fork_and_reap(struct __test_metadata *_metadata, const char *exec_path)
{
	int status;
	pid_t child;

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		if (exec_path)
			execl(exec_path, exec_path, (char *)NULL);
		_exit(exec_path ? 127 : 0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
}

TEST_F(benign, fork_and_exit_then_parent_write_keeps_registration)
{
	char *p = umn_map_pages(4);

	ASSERT_NE(NULL, p);
	fill(p, 4 * self->pg, 0x37);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 4 * self->pg, 5));
	fork_and_reap(_metadata, NULL);
	/* The child is gone: the write reuses the parent's own page. */
	fill(p, 4 * self->pg, 0x38);
	expect_kept(_metadata, self->fd, self->counter, variant->skip_same_pages, 5);
	munmap(p, 4 * self->pg);
}

TEST_F(benign, fork_and_exec_then_parent_write_keeps_registration)
{
	char *p = umn_map_pages(4);

	ASSERT_NE(NULL, p);
	fill(p, 4 * self->pg, 0x39);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 4 * self->pg, 6));
	fork_and_reap(_metadata, "/bin/true");
	fill(p, 4 * self->pg, 0x3a);
	expect_kept(_metadata, self->fd, self->counter, variant->skip_same_pages, 6);
	munmap(p, 4 * self->pg);
}

/*
 * UFFDIO_WRITEPROTECT both ways, on private anonymous pages: protection
 * changes (change_protection()), the pages stay.  User-mode-only faults let
 * an ordinary user open the userfaultfd (vm.unprivileged_userfaultfd=0).
 */
TEST_F(benign, userfaultfd_write_protect_keeps_registration)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_writeprotect wp = { 0 };
	char *p = umn_map_pages(4);
	int uffd;

	ASSERT_NE(NULL, p);
	fill(p, 4 * self->pg, 0x3c);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (uffd < 0)
		SKIP(munmap(p, 4 * self->pg); return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api)) TH_LOG("UFFDIO_API: %s", strerror(errno));
	reg.range.start = umn_addr(p);
	reg.range.len = 4 * self->pg;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		close(uffd);
		SKIP(munmap(p, 4 * self->pg); return, "UFFDIO_REGISTER_MODE_WP: %s",
		     strerror(errno));
	}
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 4 * self->pg, 8));
	wp.range = reg.range;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp)) TH_LOG("protect: %s", strerror(errno));
	wp.mode = 0;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		TH_LOG("unprotect: %s", strerror(errno));
	expect_kept(_metadata, self->fd, self->counter, variant->skip_same_pages, 8);
	EXPECT_TRUE(umn_all_bytes(p, 4 * self->pg, 0x3c));
	close(uffd);
	munmap(p, 4 * self->pg);
}

TEST_F(benign, madv_cold_invalidates_nothing)
{
	char *p = umn_map_pages(4);
	struct umn_counts c;

	ASSERT_NE(NULL, p);
	fill(p, 4 * self->pg, 0x3b);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 4 * self->pg, 7));
	ASSERT_EQ(0, madvise(p, 4 * self->pg, MADV_COLD)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, umn_counter(self->counter));
	ASSERT_EQ(0, umn_read_counts(self->fd, &c));
	EXPECT_EQ(0, c.reported);
	EXPECT_EQ(0, c.filtered);
	umn_expect_no_event(self->fd);
	EXPECT_TRUE(umn_all_bytes(p, 4 * self->pg, 0x3b));
	munmap(p, 4 * self->pg);
}

TEST_F(benign, munmap_is_reported)
{
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * self->pg, 10));
	ASSERT_EQ(0, munmap(p, 2 * self->pg));
	expect_reported(_metadata, self->fd, self->counter, 10);
}

TEST_F(benign, partial_munmap_is_reported)
{
	char *p = umn_map_pages(3);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 3 * self->pg, 11));
	ASSERT_EQ(0, munmap(p + self->pg, self->pg));
	expect_reported(_metadata, self->fd, self->counter, 11);
	munmap(p, 3 * self->pg);
}

/* madvise(@advice) of registration @cookie of @fd is reported. */
static void madvise_is_reported(struct __test_metadata *_metadata, int fd,
				const uint64_t *counter, int advice, uint64_t cookie)
{
	size_t pg = umn_page_size();
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	fill(p, 2 * pg, 0x41);
	ASSERT_EQ(0, umn_register_ptr(fd, p, 2 * pg, cookie));
	ASSERT_EQ(0, madvise(p, 2 * pg, advice)) TH_LOG("%s", strerror(errno));
	expect_reported(_metadata, fd, counter, cookie);
	munmap(p, 2 * pg);
}

TEST_F(benign, madv_dontneed_is_reported)
{
	madvise_is_reported(_metadata, self->fd, self->counter, MADV_DONTNEED, 12);
}

TEST_F(benign, madv_free_is_reported)
{
	madvise_is_reported(_metadata, self->fd, self->counter, MADV_FREE, 13);
}

/* Whether the page at @p is present in this process's page tables. */
static int page_present(const void *p)
{
	uint64_t entry;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, &entry, sizeof(entry),
		  (off_t)(umn_addr(p) / umn_page_size() * sizeof(entry)));
	close(fd);
	if (n != sizeof(entry))
		return -EIO;
	return !!(entry & (1ULL << 63));
}

/*
 * MADV_PAGEOUT unmaps only what it can reclaim: anonymous memory only with
 * swap, so the test reclaims clean file pages that only it maps.  Every
 * page that left the page table must have been reported.  A process may
 * page out a file's pages only if it owns the file or may write it
 * (can_do_pageout()), so for an ordinary user, who owns no file here that
 * is not on tmpfs, nothing is paged out and the test skips.
 */
TEST_F(benign, madv_pageout_is_reported)
{
	static const char *const files[] = { "/etc/services", "/etc/protocols",
					     "/usr/share/common-licenses/GPL-3" };
	const char *path = NULL;
	int file = -1, present;
	size_t i, len = 2 * self->pg;
	char *p;

	for (i = 0; i < ARRAY_SIZE(files) && file < 0; i++) {
		struct stat st;

		file = open(files[i], O_RDONLY | O_CLOEXEC);
		if (file >= 0 && (fstat(file, &st) || (size_t)st.st_size < len)) {
			close(file);
			file = -1;
		}
		path = files[i];
	}
	if (file < 0)
		SKIP(return, "no readable file of two pages to page out");
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, file, 0);
	close(file);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, page_present(p));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, len, 14));
	ASSERT_EQ(0, madvise(p, len, MADV_PAGEOUT)) TH_LOG("%s", strerror(errno));
	present = page_present(p);
	ASSERT_LE(0, present);
	if (present)
		SKIP(munmap(p, len); return,
		     "the kernel kept %s's page mapped (not our file, or no swap): nothing to report",
		     path);
	expect_reported(_metadata, self->fd, self->counter, 14);
	munmap(p, len);
}

TEST_F(benign, mremap_is_reported)
{
	char *p = umn_map_pages(2);
	char *q;

	ASSERT_NE(NULL, p);
	fill(p, 2 * self->pg, 0x42);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * self->pg, 15));
	q = mremap(p, 2 * self->pg, 2 * self->pg, MREMAP_MAYMOVE | MREMAP_FIXED,
		   p + 8 * self->pg);
	if (q == MAP_FAILED)	/* the guard pages' neighbourhood is taken */
		q = mremap(p, 2 * self->pg, 64 * self->pg, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q) TH_LOG("%s", strerror(errno));
	ASSERT_NE(p, q);
	expect_reported(_metadata, self->fd, self->counter, 15);
	munmap(q, 2 * self->pg);
}

TEST_F(benign, map_fixed_over_range_is_reported)
{
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	fill(p, 2 * self->pg, 0x43);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * self->pg, 16));
	ASSERT_EQ(p, mmap(p, self->pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	expect_reported(_metadata, self->fd, self->counter, 16);
	munmap(p, 2 * self->pg);
}

TEST_F(benign, cow_break_while_fork_child_lives_is_reported)
{
	char *p = umn_map_pages(2);
	int go[2], status;
	pid_t child;
	char byte;

	ASSERT_NE(NULL, p);
	fill(p, 2 * self->pg, 0x44);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * self->pg, 17));
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		close(go[1]);
		_exit(read(go[0], &byte, 1) == 0 && p[0] == 0x44 ? 0 : 1);
	}
	close(go[0]);
	p[0] = 0x45;		/* the parent gets a new page: copy on write */
	expect_reported(_metadata, self->fd, self->counter, 17);
	close(go[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child saw the parent's write: status %#x", status);
	munmap(p, 2 * self->pg);
}

/* The node of the page at @p, or -errno. */
static int page_node(void *p)
{
	int status = -1;

	if (syscall(SYS_move_pages, 0, 1UL, &p, NULL, &status, 0))
		return -errno;
	return status;
}

TEST_F(benign, move_pages_to_other_node_is_reported)
{
	char *p = umn_map_pages(1);
	int node, target, status = -1;
	void *pages[1];

	if (!two_numa_nodes())
		SKIP(return, "one NUMA node (run-in-guest --numa gives two)");
	ASSERT_NE(NULL, p);
	fill(p, self->pg, 0x46);
	node = page_node(p);
	ASSERT_LE(0, node) TH_LOG("move_pages query: %s", strerror(-node));
	target = node ? 0 : 1;
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 18));
	pages[0] = p;
	ASSERT_EQ(0, syscall(SYS_move_pages, 0, 1UL, pages, &target, &status,
			     MPOL_MF_MOVE)) TH_LOG("move_pages: %s", strerror(errno));
	ASSERT_EQ(target, status) TH_LOG("page not moved: status %d", status);
	expect_reported(_metadata, self->fd, self->counter, 18);
	EXPECT_TRUE(umn_all_bytes(p, self->pg, 0x46));
	munmap(p, self->pg);
}

TEST_F(benign, migrate_pages_to_other_node_is_reported)
{
	char *p = umn_map_pages(1);
	unsigned long from, to;
	int node;
	long ret;

	if (!two_numa_nodes())
		SKIP(return, "one NUMA node (run-in-guest --numa gives two)");
	ASSERT_NE(NULL, p);
	fill(p, self->pg, 0x47);
	node = page_node(p);
	ASSERT_LE(0, node) TH_LOG("move_pages query: %s", strerror(-node));
	from = 1UL << node;
	to = 1UL << (node ? 0 : 1);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 19));
	ret = syscall(SYS_migrate_pages, 0, 8 * sizeof(from), &from, &to);
	ASSERT_LE(0, ret) TH_LOG("migrate_pages: %s", strerror(errno));
	ASSERT_EQ(node ? 0 : 1, page_node(p));
	expect_reported(_metadata, self->fd, self->counter, 19);
	EXPECT_TRUE(umn_all_bytes(p, self->pg, 0x47));
	munmap(p, self->pg);
}

TEST_HARNESS_MAIN
