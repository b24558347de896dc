// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life: every open file holds a reference on ummunotify.ko,
 * so it cannot be unloaded while a file is open; once the last file is
 * closed it unloads cleanly and loads again ($UMMUNOTIFY_KO).  Unloading
 * needs root; run this binary last, it reloads the module.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "umn_test.h"

#define MODULE_DIR	"/sys/module/ummunotify"

/* The module's reference count, or -errno. */
static long long module_refcnt(void)
{
	char buf[32] = "";
	long long v;
	int fd = open(MODULE_DIR "/refcnt", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || sscanf(buf, "%lld", &v) != 1)
		return -EIO;
	return v;
}

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* Loads $UMMUNOTIFY_KO and gives the device node mode 0666 again. */
static int load_module(void)
{
	const char *ko = getenv("UMMUNOTIFY_KO");
	int fd, ret, i;

	if (!ko || !*ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	/* devtmpfs creates the node asynchronously. */
	for (i = 0; i < 5000 && access(UMN_DEVICE, F_OK); i++)
		usleep(1000);
	return chmod(UMN_DEVICE, 0666) ? -errno : 0;
}

FIXTURE(module) {
	int fd;
};

FIXTURE_SETUP(module)
{
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
}

FIXTURE_TEARDOWN(module)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(module, each_open_file_holds_a_module_reference)
{
	long long before = module_refcnt(), during;
	int fd;

	if (before == -ENOENT)
		SKIP(return, "ummunotify is built into the kernel");
	ASSERT_LE(1, before) TH_LOG("refcnt: %s", strerror(-before));
	fd = umn_open(0);
	ASSERT_LE(0, fd);
	during = module_refcnt();
	EXPECT_EQ(before + 1, during);
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(before, module_refcnt());
}

TEST_F(module, rmmod_while_a_file_is_open_fails)
{
	char *p = umn_map_pages(1);
	int ret;

	if (geteuid() != 0)
		SKIP(return, "unloading a module needs root");
	if (access(MODULE_DIR, F_OK))
		SKIP(return, "ummunotify is built into the kernel");
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, umn_page_size(), 1));

	ret = delete_module("ummunotify");
	if (ret == 0) {
		/* The file now points at freed code: get a module back. */
		TH_LOG("module unloaded under an open file; reloading: %s",
		       strerror(-load_module()));
		ASSERT_NE(0, ret);
	}
	/*
	 * Linux 6.1 answers EWOULDBLOCK ("in use", try_stop_module() in
	 * kernel/module/main.c); EBUSY is what rmmod's users expect to read.
	 */
	TH_LOG("delete_module with a file open: %s", strerror(-ret));
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY);
	ASSERT_EQ(0, access(MODULE_DIR, F_OK));

	/* The file is unaffected. */
	ASSERT_EQ(0, munmap(p, umn_page_size()));
	umn_expect_single_event(self->fd, 1, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p), umn_addr(p) + umn_page_size(), 1);
}

TEST_F(module, rmmod_after_last_close_succeeds_and_module_reloads)
{
	char *p = umn_map_pages(4);
	size_t i;
	int ret;

	if (geteuid() != 0)
		SKIP(return, "unloading a module needs root");
	if (access(MODULE_DIR, F_OK))
		SKIP(return, "ummunotify is built into the kernel");
	if (!getenv("UMMUNOTIFY_KO") || !*getenv("UMMUNOTIFY_KO"))
		SKIP(return, "UMMUNOTIFY_KO is not set: could not load the module again");
	ASSERT_NE(NULL, p);
	/* Leave work for the release path: registrations, queued events. */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, umn_register_ptr(self->fd, p + i * umn_page_size(),
					      umn_page_size(), i));
	}
	ASSERT_EQ(0, munmap(p, 2 * umn_page_size()));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	ret = delete_module("ummunotify");
	ASSERT_EQ(0, ret) TH_LOG("delete_module: %s (refcnt %lld)", strerror(-ret),
				 module_refcnt());
	EXPECT_NE(0, access(UMN_DEVICE, F_OK));

	ret = load_module();
	ASSERT_EQ(0, ret) TH_LOG("loading %s: %s", getenv("UMMUNOTIFY_KO"), strerror(-ret));
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + 2 * umn_page_size(),
				      umn_page_size(), 9));
	ASSERT_EQ(0, munmap(p + 2 * umn_page_size(), 2 * umn_page_size()));
	umn_expect_single_event(self->fd, 9, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + 2 * umn_page_size()),
				umn_addr(p + 3 * umn_page_size()), 1);
}

TEST_HARNESS_MAIN
