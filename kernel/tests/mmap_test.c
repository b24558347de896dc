// SPDX-License-Identifier: GPL-2.0
/*
 * The counter page: exactly one page at offset 0, read-only for good,
 * starting at 0, moving with every reported invalidation without a system
 * call, and not inherited by fork() children.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "umn_test.h"

FIXTURE(counter_page) {
	int fd;
	size_t pg;
};

FIXTURE_SETUP(counter_page)
{
	self->pg = umn_page_size();
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
}

FIXTURE_TEARDOWN(counter_page)
{
	close(self->fd);
}

/* Is [addr, addr + 1) mapped in this process, according to /proc/self/maps? */
static bool mapped_here(const void *addr)
{
	unsigned long start, end;
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    start <= (uintptr_t)addr && (uintptr_t)addr < end)
			found = true;
	if (f)
		fclose(f);
	return found;
}

TEST_F(counter_page, shared_read_only_mapping_starts_at_zero_and_follows_invalidations)
{
	const uint64_t *counter = umn_map_counter(self->fd);
	char *p = umn_map_pages(2);
	struct umn_fdinfo info;

	ASSERT_NE(NULL, counter) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, umn_counter(counter));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));
	ASSERT_EQ(0, munmap(p + self->pg, self->pg));	/* unwatched */
	EXPECT_EQ(0, umn_counter(counter));
	ASSERT_EQ(0, munmap(p, self->pg));
	EXPECT_EQ(1, umn_counter(counter));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(1, info.counter);
	/* Rest of the page is zero. */
	EXPECT_EQ(0, counter[1]);
	EXPECT_EQ(0, counter[self->pg / sizeof(*counter) - 1]);
}

TEST_F(counter_page, private_read_only_mapping_follows_invalidations)
{
	const uint64_t *counter = mmap(NULL, self->pg, PROT_READ, MAP_PRIVATE,
				       self->fd, 0);
	char *p = umn_map_pages(1);

	ASSERT_NE(MAP_FAILED, counter) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, umn_counter(counter));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));
	ASSERT_EQ(0, munmap(p, self->pg));
	EXPECT_EQ(1, umn_counter(counter));
}

TEST_F(counter_page, two_mappings_show_the_same_counter)
{
	const uint64_t *a = umn_map_counter(self->fd);
	const uint64_t *b = umn_map_counter(self->fd);
	char *p = umn_map_pages(1);

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));
	ASSERT_EQ(0, munmap(p, self->pg));
	EXPECT_EQ(1, umn_counter(a));
	EXPECT_EQ(1, umn_counter(b));
}

TEST_F(counter_page, mapping_other_than_one_page_is_einval)
{
	void *m = mmap(NULL, 2 * self->pg, PROT_READ, MAP_SHARED, self->fd, 0);

	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(counter_page, mapping_at_nonzero_offset_is_einval)
{
	void *m = mmap(NULL, self->pg, PROT_READ, MAP_SHARED, self->fd, self->pg);

	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(counter_page, writable_shared_mapping_is_refused)
{
	void *m = mmap(NULL, self->pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);

	EXPECT_EQ(MAP_FAILED, m);
	/* The VFS answers first: the file is open read-only. */
	EXPECT_TRUE(errno == EACCES || errno == EPERM) TH_LOG("errno %d", errno);
}

TEST_F(counter_page, writable_private_mapping_is_eperm)
{
	void *m = mmap(NULL, self->pg, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		       self->fd, 0);

	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EPERM, errno);
}

TEST_F(counter_page, mapping_cannot_be_made_writable)
{
	void *shared = mmap(NULL, self->pg, PROT_READ, MAP_SHARED, self->fd, 0);
	void *private = mmap(NULL, self->pg, PROT_READ, MAP_PRIVATE, self->fd, 0);

	ASSERT_NE(MAP_FAILED, shared);
	ASSERT_NE(MAP_FAILED, private);
	EXPECT_EQ(-1, mprotect(shared, self->pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(private, self->pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, mprotect(shared, self->pg, PROT_READ));
}

TEST_F(counter_page, mapping_is_not_inherited_by_fork)
{
	void *counter = mmap(NULL, self->pg, PROT_READ, MAP_SHARED, self->fd, 0);
	int status;
	pid_t child;

	ASSERT_NE(MAP_FAILED, counter);
	ASSERT_TRUE(mapped_here(counter));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(mapped_here(counter) ? 1 : 0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child has the counter page mapped (status %#x)", status);
	EXPECT_TRUE(mapped_here(counter));
}

TEST_HARNESS_MAIN
