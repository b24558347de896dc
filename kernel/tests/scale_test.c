// SPDX-License-Identifier: GPL-2.0
/*
 * Many registrations and their limit: 10^6 registrations on one file
 * (register, hit one, unregister all), exact cookie lookups while the
 * cookie table grows, waves of overlapping registrations checked against a
 * model, and the per-file cap set by the
 * module parameter max_regions (ENOSPC), which root may change at any time
 * and which is read at each registration.
 */
#define _GNU_SOURCE
#include <time.h>

#include "kselftest_harness.h"
#include "umn_test.h"

#define MILLION		1000000UL

/* Reads max_regions; returns it, or -errno. */
static long long read_max_regions(void)
{
	char buf[32] = "";
	long long v;
	int fd = open(UMN_MAX_REGIONS_PARAM, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || sscanf(buf, "%lld", &v) != 1)
		return -EIO;
	return v;
}

static int write_max_regions(long long v)
{
	char buf[32];
	int fd = open(UMN_MAX_REGIONS_PARAM, O_WRONLY | O_CLOEXEC);
	int len = snprintf(buf, sizeof(buf), "%lld\n", v);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == len ? 0 : -EIO;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

FIXTURE(scale) {
	int fd;
	const uint64_t *counter;
	size_t pg;
	long long saved_max;	/* to restore in teardown; -1: untouched */
};

FIXTURE_SETUP(scale)
{
	self->saved_max = -1;
	self->pg = umn_page_size();
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
	self->counter = umn_map_counter(self->fd);
	ASSERT_NE(NULL, self->counter);
}

FIXTURE_TEARDOWN(scale)
{
	close(self->fd);
	if (self->saved_max >= 0 && write_max_regions(self->saved_max))
		TH_LOG("could not restore max_regions to %lld", self->saved_max);
}

/*
 * As root, sets max_regions to @v, remembering the value to restore in
 * *@saved_max unless one is already remembered (>= 0).
 */
static int set_max_regions(long long *saved_max, long long v)
{
	long long old = read_max_regions();

	if (old < 0)
		return old;
	if (*saved_max < 0)
		*saved_max = old;
	return write_max_regions(v);
}

TEST_F_TIMEOUT(scale, million_registrations_register_hit_one_unregister_all, 1800)
{
	const size_t n = MILLION, stride = 64;
	size_t pg = self->pg, i;
	long long max = read_max_regions();
	struct timespec t0;
	char *area, *target;
	struct umn_fdinfo info;
	uint64_t cookie_target = n - 1;

	ASSERT_LT(0, max) TH_LOG("%s: %s", UMN_MAX_REGIONS_PARAM, strerror(-max));
	if (max < (long long)n) {
		if (geteuid() != 0)
			SKIP(return, "max_regions is %lld < 10^6 and only root may raise it", max);
		ASSERT_EQ(0, set_max_regions(&self->saved_max, n));
	}
	/* Mapped but never touched: nothing invalidates it while we work. */
	area = mmap(NULL, n / (pg / stride) * pg, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	target = umn_map_pages(2);
	ASSERT_NE(NULL, target);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n - 1; i++) {
		uint64_t start = umn_addr(area) + i * stride;

		ASSERT_EQ(0, umn_register(self->fd, start, start + stride / 2, i))
			TH_LOG("registration %zu", i);
	}
	ASSERT_EQ(0, umn_register_ptr(self->fd, target, pg, cookie_target));
	TH_LOG("%zu registrations in %.1f s", n, seconds_since(&t0));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	ASSERT_EQ(n, info.registrations);

	ASSERT_EQ(0, munmap(target + pg, pg));		/* unwatched */
	ASSERT_EQ(0, umn_counter(self->counter));
	ASSERT_EQ(0, munmap(target, pg));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, cookie_target, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(target), umn_addr(target + pg), 1);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, umn_unregister(self->fd, i))
			TH_LOG("cookie %zu", i);
	}
	TH_LOG("%zu unregistrations in %.1f s", n, seconds_since(&t0));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(0, info.registrations);
	EXPECT_EQ(0, info.queued);

	/* Nothing is watched any more. */
	ASSERT_EQ(0, munmap(area, n / (pg / stride) * pg));
	EXPECT_EQ(1, umn_counter(self->counter));
	umn_expect_no_event(self->fd);
}

/*
 * The i-th cookie of cookie_lookup_stays_exact_while_the_table_grows: odd
 * ones spread over 64 bits, even ones differ only in their high half, so
 * that a hash of the low bits alone would put them all in one bucket.
 */
static uint64_t growth_cookie(size_t i)
{
	return i & 1 ? (i * 0x9e3779b97f4a7c15ULL) | 1 : (uint64_t)i << 32;
}

/*
 * The cookie table doubles many times (and moves its entries a few buckets
 * per call) while registrations come and go.  At every step, each live
 * cookie is found exactly once: a duplicate is refused, an unregistration
 * succeeds once, and an invalidation reports the cookies of its range.
 */
TEST_F_TIMEOUT(scale, cookie_lookup_stays_exact_while_the_table_grows, 600)
{
	const size_t stride = 64, per_page = self->pg / stride, pages = 320;
	const size_t n = pages * per_page;
	size_t i, page, expected;
	long long max = read_max_regions();
	struct umn_drain *d = &umn_scratch;
	char *area;

	ASSERT_LT(0, max);
	if (max < (long long)n)
		SKIP(return, "max_regions is %lld < %zu", max, n);
	area = umn_map_pages(pages);
	ASSERT_NE(NULL, area);

	for (i = 0; i < n; i++) {
		uint64_t start = umn_addr(area) + i * stride;

		ASSERT_EQ(0, umn_register(self->fd, start, start + stride / 2,
					  growth_cookie(i))) TH_LOG("cookie %zu", i);
		/* An earlier cookie, perhaps in a bucket not moved yet. */
		ASSERT_EQ(-EINVAL, umn_register(self->fd, 0x1000, 0x2000,
						growth_cookie(i / 2)))
			TH_LOG("duplicate of cookie %zu accepted at %zu", i / 2, i);
		if (i % 7 == 3) {
			/* Gone, then back in the table, its range unchanged. */
			uint64_t c = growth_cookie(i - 3);

			ASSERT_EQ(0, umn_unregister(self->fd, c));
			ASSERT_EQ(-EINVAL, umn_unregister(self->fd, c));
			start = umn_addr(area) + (i - 3) * stride;
			ASSERT_EQ(0, umn_register(self->fd, start, start + stride / 2, c));
		}
	}
	ASSERT_EQ(n, umn_registrations(self->fd));

	/* One page unmapped: exactly its registrations are reported. */
	page = pages / 2;
	ASSERT_EQ(0, munmap(area + page * self->pg, self->pg));
	ASSERT_EQ(0, umn_drain(self->fd, d)) TH_LOG("%s", d->why);
	ASSERT_EQ(per_page, d->ninval);
	for (expected = page * per_page; expected < (page + 1) * per_page; expected++) {
		unsigned int times;

		EXPECT_NE(NULL, umn_find(d, growth_cookie(expected), &times));
		EXPECT_EQ(1, times) TH_LOG("cookie %zu", expected);
	}

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, umn_unregister(self->fd, growth_cookie(i)))
			TH_LOG("cookie %zu", i);
	}
	EXPECT_EQ(0, umn_registrations(self->fd));
	EXPECT_EQ(-EINVAL, umn_unregister(self->fd, growth_cookie(n / 2)));
}

#define CHURN_SLOTS	6000
#define CHURN_PAGES	1024

struct churn_reg {
	uint64_t start, end;
	bool live;
};

/*
 * Invalidates the churn area page by page: each page must report exactly
 * the live registrations of @model overlapping it, each once, and a page
 * that none overlaps must leave the counter alone.
 */
static void churn_sweep(struct __test_metadata *_metadata, int fd,
			const uint64_t *mapped_counter, char *area,
			const struct churn_reg *model)
{
	static unsigned int expected[CHURN_PAGES];
	static size_t seen[CHURN_SLOTS], stamp;
	struct umn_drain *d = &umn_scratch;
	const uint64_t base = umn_addr(area), pg = umn_page_size();
	uint64_t counter = umn_counter(mapped_counter);
	size_t page, i;

	memset(expected, 0, sizeof(expected));
	for (i = 0; i < CHURN_SLOTS; i++) {
		if (!model[i].live)
			continue;
		for (page = (model[i].start - base) / pg;
		     page <= (model[i].end - 1 - base) / pg; page++)
			expected[page]++;
	}
	for (page = 0; page < CHURN_PAGES; page++) {
		uint64_t a = base + page * pg, b = a + pg;

		stamp++;
		ASSERT_EQ(0, madvise(area + page * pg, pg, MADV_DONTNEED));
		if (!expected[page]) {
			ASSERT_EQ(counter, umn_counter(mapped_counter)) TH_LOG("page %zu", page);
			continue;
		}
		ASSERT_EQ(0, umn_drain(fd, d)) TH_LOG("%s", d->why);
		ASSERT_EQ(expected[page], d->ninval) TH_LOG("page %zu", page);
		for (i = 0; i < d->ninval; i++) {
			uint64_t c = d->inval[i].user_cookie_counter;

			ASSERT_GT(CHURN_SLOTS, c);
			ASSERT_TRUE(model[c].live && model[c].start < b && model[c].end > a)
				TH_LOG("page %zu reported cookie %llu", page,
				       (unsigned long long)c);
			ASSERT_NE(stamp, seen[c]) TH_LOG("cookie %llu twice",
							 (unsigned long long)c);
			seen[c] = stamp;
		}
		counter = d->last_counter;
	}
}

/*
 * Thousands of overlapping registrations come and go in waves (the range
 * index grows to three levels and shrinks back, splitting, merging and
 * evening out its nodes); every 500 steps, churn_sweep() checks every
 * page of the area against a model of them.  Fixed seed: reproducible.
 */
TEST_F_TIMEOUT(scale, overlapping_registrations_in_waves_match_a_model, 900)
{
	static struct churn_reg model[CHURN_SLOTS];
	const size_t pg = self->pg, area_len = CHURN_PAGES * pg;
	uint64_t rng = 0x9e3779b97f4a7c15ULL, base;
	size_t live = 0, peak = 0, checks = 0, step;
	long long max = read_max_regions();
	char *area;

	ASSERT_LT(0, max);
	if (max < CHURN_SLOTS)
		SKIP(return, "max_regions is %lld < %d", max, CHURN_SLOTS);
	/*
	 * Small pages only: a DONTNEED of part of a huge page invalidates all
	 * 2 MiB of it while splitting it, which the model does not predict.
	 */
	area = umn_map_isolated(CHURN_PAGES, 0);
	ASSERT_NE(NULL, area);
	ASSERT_EQ(0, madvise(area, area_len, MADV_NOHUGEPAGE));
	memset(area, 1, area_len);
	base = umn_addr(area);

	for (step = 0; step < 80000; step++) {
		/* Waves of 20000 steps: mostly registering, then mostly not. */
		bool grow = (step / 20000) % 2 == 0;
		unsigned int dice = umn_random(&rng) % 10;
		struct churn_reg *r = &model[umn_random(&rng) % CHURN_SLOTS];
		uint64_t cookie = r - model;

		if (!r->live && (grow ? dice < 8 : dice < 2)) {
			uint64_t len = 1 + umn_random(&rng) % (16 * pg);

			r->start = base + umn_random(&rng) % (area_len - len + 1);
			r->end = r->start + len;
			ASSERT_EQ(0, umn_register(self->fd, r->start, r->end, cookie))
				TH_LOG("step %zu", step);
			r->live = true;
			peak = ++live > peak ? live : peak;
		} else if (r->live && (grow ? dice < 2 : dice < 8)) {
			ASSERT_EQ(0, umn_unregister(self->fd, cookie)) TH_LOG("step %zu", step);
			r->live = false;
			live--;
		}
		if (step % 500 != 499)
			continue;
		ASSERT_EQ(live, umn_registrations(self->fd));
		churn_sweep(_metadata, self->fd, self->counter, area, model);
		checks++;
	}
	TH_LOG("%zu checks, up to %zu live registrations", checks, peak);
	ASSERT_LT(2000, peak);
}

TEST_F(scale, registration_beyond_max_regions_is_enospc)
{
	size_t i;

	if (geteuid() != 0)
		SKIP(return, "changing max_regions needs root");
	ASSERT_EQ(0, set_max_regions(&self->saved_max, 4));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, umn_register(self->fd, 0x10000 + i * 0x1000,
					  0x11000 + i * 0x1000, i));
	}
	EXPECT_EQ(-ENOSPC, umn_register(self->fd, 0x20000, 0x21000, 4));
	EXPECT_EQ(-ENOSPC, umn_register(self->fd, 0x20000, 0x21000, 5));
	EXPECT_EQ(4, umn_registrations(self->fd));

	/* The limit is per file. */
	{
		int other = umn_open(0);

		ASSERT_LE(0, other);
		EXPECT_EQ(0, umn_register(other, 0x20000, 0x21000, 4));
		close(other);
	}

	/* Room again after an unregistration. */
	ASSERT_EQ(0, umn_unregister(self->fd, 0));
	EXPECT_EQ(0, umn_register(self->fd, 0x20000, 0x21000, 4));
	EXPECT_EQ(-ENOSPC, umn_register(self->fd, 0x30000, 0x31000, 5));
}

TEST_F(scale, lowered_max_regions_applies_to_next_registration)
{
	char *p = umn_map_pages(4);
	size_t i;

	if (geteuid() != 0)
		SKIP(return, "changing max_regions needs root");
	ASSERT_NE(NULL, p);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, umn_register_ptr(self->fd, p + i * self->pg, self->pg, i))
			TH_LOG("cookie %zu", i);
	}
	ASSERT_EQ(0, set_max_regions(&self->saved_max, 2));
	EXPECT_EQ(-ENOSPC, umn_register(self->fd, 0x10000, 0x11000, 10));

	/* The registrations above the limit keep working. */
	ASSERT_EQ(0, munmap(p + 3 * self->pg, self->pg));
	umn_expect_single_event(self->fd, 3, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + 3 * self->pg), umn_addr(p + 4 * self->pg), 1);
	ASSERT_EQ(0, umn_unregister(self->fd, 3));
	ASSERT_EQ(0, umn_unregister(self->fd, 2));
	EXPECT_EQ(-ENOSPC, umn_register(self->fd, 0x10000, 0x11000, 10));
	ASSERT_EQ(0, umn_unregister(self->fd, 1));
	EXPECT_EQ(0, umn_register(self->fd, 0x10000, 0x11000, 10));

	/* Raised again: at once. */
	ASSERT_EQ(0, set_max_regions(&self->saved_max, 3));
	EXPECT_EQ(0, umn_register(self->fd, 0x20000, 0x21000, 11));
}

TEST_F(scale, max_regions_cannot_be_changed_by_unprivileged_user)
{
	long long before = read_max_regions();
	int fd;

	if (geteuid() == 0)
		SKIP(return, "runs as an unprivileged user only");
	ASSERT_LT(0, before);
	fd = open(UMN_MAX_REGIONS_PARAM, O_WRONLY | O_CLOEXEC);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EACCES, errno);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(before, read_max_regions());
}

TEST_HARNESS_MAIN
