// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI of /dev/ummunotify: open modes, feature exchange, argument
 * checks of REGISTER/UNREGISTER with their error codes, unknown requests,
 * the fdinfo lines (reported_at_end among them), and closing a file that
 * still has registrations and queued events.
 */
#define _GNU_SOURCE
#include <termios.h>

#include "kselftest_harness.h"
#include "umn_test.h"

/* The top of the user address space (TASK_SIZE) of an x86_64 process. */
static uint64_t task_size(void)
{
	char line[4096];
	bool la57 = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	/* The kernel clears the la57 flag unless it runs 5-level paging. */
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " la57"))
			la57 = true;
	if (f)
		fclose(f);
	return ((uint64_t)1 << (la57 ? 56 : 47)) - umn_page_size();
}

FIXTURE(abi) {
	int fd;
	size_t pg;
};

FIXTURE_SETUP(abi)
{
	self->pg = umn_page_size();
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
}

FIXTURE_TEARDOWN(abi)
{
	close(self->fd);
}

TEST_F(abi, open_for_writing_is_einval)
{
	int fd = open(UMN_DEVICE, O_WRONLY | O_CLOEXEC);

	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EINVAL, errno);
	fd = open(UMN_DEVICE, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(abi, exchange_features_first_call_answers_only_known_features)
{
	__u32 features = ~0U;
	struct umn_fdinfo info;

	ASSERT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(UMN_KNOWN_FEATURES, features);
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(UMN_KNOWN_FEATURES, info.features);
}

TEST_F(abi, exchange_features_of_nothing_agrees_on_nothing)
{
	__u32 features = 0;
	struct umn_fdinfo info;

	ASSERT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(0, features);
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(0, info.features);
}

TEST_F(abi, exchange_features_second_call_is_einval)
{
	__u32 features = 0;

	ASSERT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(abi, exchange_features_after_register_is_einval)
{
	__u32 features = 0;

	ASSERT_EQ(0, umn_register(self->fd, 0x10000, 0x20000, 1));
	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(abi, exchange_features_after_any_unregister_is_einval)
{
	__u32 features = 0;

	ASSERT_EQ(-EINVAL, umn_unregister(self->fd, 1));
	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(abi, exchange_features_after_read_is_einval)
{
	struct ummunotify_event ev;
	__u32 features = 0;

	ASSERT_EQ(-EAGAIN, umn_read_nb(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(abi, exchange_features_after_mmap_is_einval)
{
	__u32 features = 0;

	ASSERT_NE(NULL, umn_map_counter(self->fd));
	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(abi, exchange_features_bad_pointer_is_efault_and_can_be_retried)
{
	__u32 features = ~0U;

	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(UMN_KNOWN_FEATURES, features);
}

TEST_F(abi, exchange_features_agrees_on_report_at_end_alone)
{
	__u32 features = UMMUNOTIFY_FEATURE_REPORT_AT_END;
	struct umn_fdinfo info;

	ASSERT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(UMMUNOTIFY_FEATURE_REPORT_AT_END, features);
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(UMMUNOTIFY_FEATURE_REPORT_AT_END, info.features);
}

TEST_F(abi, exchange_features_agrees_on_report_at_end_with_skip_same_pages)
{
	__u32 both = UMMUNOTIFY_FEATURE_REPORT_AT_END | UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES;
	__u32 features = both | 1U << 31;
	struct umn_fdinfo info;

	ASSERT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	EXPECT_EQ(both, features);
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(both, info.features);
}

TEST_F(abi, register_rejects_empty_and_reversed_ranges)
{
	EXPECT_EQ(-EINVAL, umn_register(self->fd, 0x10000, 0x10000, 1));
	EXPECT_EQ(-EINVAL, umn_register(self->fd, 0x20000, 0x10000, 1));
	EXPECT_EQ(-EINVAL, umn_register(self->fd, 1, 0, 1));
	EXPECT_EQ(0, umn_registrations(self->fd));
	/* The smallest valid range. */
	EXPECT_EQ(0, umn_register(self->fd, 0x10000, 0x10001, 1));
	EXPECT_EQ(1, umn_registrations(self->fd));
}

TEST_F(abi, register_rejects_end_beyond_user_space)
{
	uint64_t top = task_size();

	EXPECT_EQ(-EINVAL, umn_register(self->fd, top - 1, top + 1, 1));
	EXPECT_EQ(-EINVAL, umn_register(self->fd, 0, UINT64_MAX, 2));
	EXPECT_EQ(-EINVAL, umn_register(self->fd, (uint64_t)1 << 63,
					((uint64_t)1 << 63) + 1, 3));
	EXPECT_EQ(0, umn_registrations(self->fd));
	/* Up to the top itself is fine, and so is all of user space. */
	EXPECT_EQ(0, umn_register(self->fd, top - self->pg, top, 4));
	EXPECT_EQ(0, umn_register(self->fd, 0, top, 5));
	EXPECT_EQ(2, umn_registrations(self->fd));
}

TEST_F(abi, register_rejects_nonzero_flags_and_reserved)
{
	EXPECT_EQ(-EINVAL, umn_register_flags(self->fd, 0x10000, 0x20000, 1, 1, 0));
	EXPECT_EQ(-EINVAL, umn_register_flags(self->fd, 0x10000, 0x20000, 1, 0x80000000, 0));
	EXPECT_EQ(-EINVAL, umn_register_flags(self->fd, 0x10000, 0x20000, 1, 0, 1));
	EXPECT_EQ(0, umn_registrations(self->fd));
	EXPECT_EQ(0, umn_register_flags(self->fd, 0x10000, 0x20000, 1, 0, 0));
}

TEST_F(abi, register_rejects_cookie_already_registered)
{
	ASSERT_EQ(0, umn_register(self->fd, 0x10000, 0x20000, 42));
	EXPECT_EQ(-EINVAL, umn_register(self->fd, 0x30000, 0x40000, 42));
	EXPECT_EQ(-EINVAL, umn_register(self->fd, 0x10000, 0x20000, 42));
	EXPECT_EQ(1, umn_registrations(self->fd));
	/* The first registration is intact and goes away exactly once. */
	EXPECT_EQ(0, umn_unregister(self->fd, 42));
	EXPECT_EQ(-EINVAL, umn_unregister(self->fd, 42));
}

TEST_F(abi, register_accepts_unmapped_unaligned_and_overlapping_ranges)
{
	char *p = umn_map_pages(1);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, munmap(p, self->pg));
	EXPECT_EQ(0, umn_register(self->fd, umn_addr(p), umn_addr(p) + self->pg, 0));
	EXPECT_EQ(0, umn_register(self->fd, umn_addr(p) + 3, umn_addr(p) + 5, 1));
	EXPECT_EQ(0, umn_register(self->fd, umn_addr(p) + 3, umn_addr(p) + 5, 2));
	EXPECT_EQ(0, umn_register(self->fd, umn_addr(p) + 1, umn_addr(p) + 2 * self->pg,
				  UINT64_MAX));
	EXPECT_EQ(4, umn_registrations(self->fd));
	EXPECT_EQ(0, umn_unregister(self->fd, 0));
	EXPECT_EQ(0, umn_unregister(self->fd, UINT64_MAX));
	EXPECT_EQ(2, umn_registrations(self->fd));
}

TEST_F(abi, register_bad_pointer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_REGISTER_REGION, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_REGISTER_REGION, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, umn_registrations(self->fd));
}

TEST_F(abi, unregister_unknown_cookie_is_einval)
{
	ASSERT_EQ(0, umn_register(self->fd, 0x10000, 0x20000, 1));
	EXPECT_EQ(-EINVAL, umn_unregister(self->fd, 2));
	EXPECT_EQ(-EINVAL, umn_unregister(self->fd, 0));
	EXPECT_EQ(1, umn_registrations(self->fd));
}

TEST_F(abi, unregister_twice_is_einval)
{
	ASSERT_EQ(0, umn_register(self->fd, 0x10000, 0x20000, 1));
	EXPECT_EQ(0, umn_unregister(self->fd, 1));
	EXPECT_EQ(-EINVAL, umn_unregister(self->fd, 1));
	EXPECT_EQ(0, umn_registrations(self->fd));
}

TEST_F(abi, unregister_bad_pointer_is_efault)
{
	ASSERT_EQ(0, umn_register(self->fd, 0x10000, 0x20000, 1));
	EXPECT_EQ(-1, ioctl(self->fd, UMMUNOTIFY_UNREGISTER_REGION, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, umn_registrations(self->fd));
}

TEST_F(abi, unknown_ioctl_is_enotty)
{
	static const unsigned long cmds[] = {
		_IO(UMMUNOTIFY_MAGIC, 0),
		_IO(UMMUNOTIFY_MAGIC, 4),
		_IOW(UMMUNOTIFY_MAGIC, 2, __u64),	/* REGISTER, wrong size */
		_IOR(UMMUNOTIFY_MAGIC, 1, __u32),	/* EXCHANGE, wrong dir */
		_IOW(UMMUNOTIFY_MAGIC, 3, __u32),	/* UNREGISTER, wrong size */
		TCGETS,
		FIONREAD,
	};
	__u64 arg[8] = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], arg)) TH_LOG("cmd %#lx", cmds[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
	/* Unknown requests do not count as a use of the file. */
	EXPECT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, arg));
}

TEST_F(abi, fdinfo_reports_registrations_queue_counter_and_features)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(3);
	struct umn_fdinfo info;
	long long at_end = -1;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(0, info.registrations);
	EXPECT_EQ(0, info.queued);
	EXPECT_EQ(0, info.counter);
	EXPECT_EQ(0, info.features);
	ASSERT_EQ(0, umn_fdinfo_value(self->fd, "reported_at_end", &at_end));
	EXPECT_EQ(0, at_end);

	ASSERT_EQ(0, umn_register_ptr(self->fd, p, pg, 1));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + pg, pg, 2));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + 2 * pg, pg, 3));
	ASSERT_EQ(0, munmap(p, 2 * pg));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(3, info.registrations);
	EXPECT_EQ(2, info.queued);
	EXPECT_EQ(1, info.counter);

	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(3, info.registrations);
	EXPECT_EQ(0, info.queued);
	EXPECT_EQ(1, info.counter);
	/* Without UMMUNOTIFY_FEATURE_REPORT_AT_END. */
	ASSERT_EQ(0, umn_fdinfo_value(self->fd, "reported_at_end", &at_end));
	EXPECT_EQ(0, at_end);
	munmap(p + 2 * pg, pg);
}

TEST_F(abi, fdinfo_reported_at_end_starts_at_0_with_the_feature)
{
	__u32 features = UMMUNOTIFY_FEATURE_REPORT_AT_END;
	long long at_end = -1;

	ASSERT_EQ(0, ioctl(self->fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	ASSERT_EQ(0, umn_fdinfo_value(self->fd, "reported_at_end", &at_end));
	EXPECT_EQ(0, at_end);
}

TEST_F(abi, close_with_registrations_and_queued_events_is_clean)
{
	size_t pg = self->pg, i, in_first_half = 0;
	char *p = umn_map_pages(64);
	struct umn_fdinfo info;
	int fd;

	ASSERT_NE(NULL, p);
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, umn_register(self->fd, umn_addr(p) + (i % 64) * pg,
					  umn_addr(p) + (i % 64 + 1) * pg, i));
		in_first_half += i % 64 < 32;
	}
	ASSERT_EQ(0, munmap(p, 32 * pg));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(1000, info.registrations);
	EXPECT_EQ(in_first_half, info.queued);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	/* The device still works, and the pages are no longer watched. */
	fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, umn_register(fd, umn_addr(p + 32 * pg), umn_addr(p + 33 * pg), 1));
	ASSERT_EQ(0, munmap(p + 32 * pg, 32 * pg));
	umn_expect_single_event(fd, 1, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + 32 * pg), umn_addr(p + 33 * pg), 1);
	close(fd);
}

TEST_HARNESS_MAIN
