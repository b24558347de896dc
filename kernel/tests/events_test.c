// SPDX-License-Identifier: GPL-2.0
/*
 * The event rules of /dev/ummunotify, driven by munmap(): the counter moves
 * once per invalidation that hits at least one registration, each hit
 * registration is queued once with a hint while it was hit once, queue
 * order is the order of first hits, and unregistering drops the queued
 * event while a LAST event still resynchronises the counter.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "umn_test.h"

FIXTURE(events) {
	int fd;
	const uint64_t *counter;
	size_t pg;
};

FIXTURE_SETUP(events)
{
	self->pg = umn_page_size();
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
	self->counter = umn_map_counter(self->fd);
	ASSERT_NE(NULL, self->counter) TH_LOG("mmap counter: %s", strerror(errno));
	ASSERT_EQ(0, umn_counter(self->counter));
}

FIXTURE_TEARDOWN(events)
{
	close(self->fd);
}

TEST_F(events, munmap_of_watched_page_bumps_counter_once_and_reports_hint)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(3);
	struct umn_fdinfo info;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 3 * pg, 7));
	ASSERT_EQ(0, munmap(p + pg, pg));

	ASSERT_EQ(1, umn_counter(self->counter));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(1, info.counter);
	EXPECT_EQ(1, info.queued);
	umn_expect_single_event(self->fd, 7, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), umn_addr(p + 2 * pg), 1);
	umn_expect_no_event(self->fd);
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(0, info.queued);
	EXPECT_EQ(1, info.registrations);
	munmap(p, 3 * pg);
}

TEST_F(events, munmap_of_whole_registration_reports_whole_range_with_hint)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * pg, 11));
	ASSERT_EQ(0, munmap(p, 2 * pg));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 11, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p), umn_addr(p + 2 * pg), 1);
}

TEST_F(events, munmap_spanning_two_registrations_reports_both_and_bumps_once)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(4);
	const struct ummunotify_event *a, *b;
	unsigned int na, nb;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * pg, 1));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + 2 * pg, 2 * pg, 2));
	ASSERT_EQ(0, munmap(p + pg, 2 * pg));
	ASSERT_EQ(1, umn_counter(self->counter));

	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	ASSERT_EQ(2, umn_scratch.ninval);
	a = umn_find(&umn_scratch, 1, &na);
	b = umn_find(&umn_scratch, 2, &nb);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, a->flags);
	EXPECT_EQ(umn_addr(p + pg), a->hint_start);
	EXPECT_EQ(umn_addr(p + 2 * pg), a->hint_end);
	EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, b->flags);
	EXPECT_EQ(umn_addr(p + 2 * pg), b->hint_start);
	EXPECT_EQ(umn_addr(p + 3 * pg), b->hint_end);
	EXPECT_EQ(1, umn_scratch.last_counter);
	munmap(p, 4 * pg);
}

TEST_F(events, munmap_of_unwatched_range_changes_nothing)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(3);
	char *far = umn_map_pages(1);
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct umn_fdinfo info;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, far);
	/* Watched pages on both sides of the middle one, which is not. */
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, pg, 1));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + 2 * pg, pg, 2));

	ASSERT_EQ(0, munmap(far, pg));
	ASSERT_EQ(0, munmap(p + pg, pg));
	ASSERT_EQ(0, umn_counter(self->counter));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(0, info.queued);
	EXPECT_EQ(0, info.counter);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	umn_expect_no_event(self->fd);

	/* The registrations are live: unmapping a watched page is seen. */
	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 1, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p), umn_addr(p + pg), 1);
	munmap(p + 2 * pg, pg);
}

TEST_F(events, registration_end_is_exclusive)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	/* Only the last byte of the first page. */
	ASSERT_EQ(0, umn_register(self->fd, umn_addr(p + pg - 1), umn_addr(p + pg), 3));
	ASSERT_EQ(0, munmap(p + pg, pg));
	ASSERT_EQ(0, umn_counter(self->counter));
	umn_expect_no_event(self->fd);

	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 3, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg - 1), umn_addr(p + pg), 1);
}

TEST_F(events, hint_of_unaligned_registration_is_clipped_to_it)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2);
	uint64_t start = umn_addr(p) + 100, end = umn_addr(p + pg) + 200;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register(self->fd, start, end, 5));

	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 5, UMMUNOTIFY_EVENT_FLAG_HINT,
				start, umn_addr(p + pg), 1);

	ASSERT_EQ(0, munmap(p + pg, pg));
	ASSERT_EQ(2, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 5, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), end, 2);
}

TEST_F(events, second_hit_before_read_drops_hint_and_reports_whole_range)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(3);
	struct umn_fdinfo info;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 3 * pg, 9));
	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(0, munmap(p + 2 * pg, pg));
	ASSERT_EQ(2, umn_counter(self->counter));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(1, info.queued);
	umn_expect_single_event(self->fd, 9, 0, umn_addr(p), umn_addr(p + 3 * pg), 2);
	munmap(p + pg, pg);
}

TEST_F(events, hit_after_read_is_reported_again_with_hint)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(3);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 3 * pg, 4));
	ASSERT_EQ(0, munmap(p, pg));
	umn_expect_single_event(self->fd, 4, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p), umn_addr(p + pg), 1);
	ASSERT_EQ(0, munmap(p + 2 * pg, pg));
	ASSERT_EQ(2, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 4, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + 2 * pg), umn_addr(p + 3 * pg), 2);
	munmap(p + pg, pg);
}

TEST_F(events, one_invalidation_hitting_many_registrations_bumps_counter_once)
{
	size_t pg = self->pg, i;
	const struct { uint64_t cookie; size_t from, to; } regs[] = {
		{ 1, 0, 2 * pg }, { 2, 0, 2 * pg }, { 3, 0, 2 * pg },	/* identical */
		{ 4, pg, 2 * pg }, { 5, 10, 20 },			/* overlapping */
	};
	char *p = umn_map_pages(2);
	struct umn_fdinfo info;

	ASSERT_NE(NULL, p);
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		ASSERT_EQ(0, umn_register(self->fd, umn_addr(p) + regs[i].from,
					  umn_addr(p) + regs[i].to, regs[i].cookie));
	}
	ASSERT_EQ(0, munmap(p, 2 * pg));
	ASSERT_EQ(1, umn_counter(self->counter));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(5, info.queued);

	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	ASSERT_EQ(ARRAY_SIZE(regs), umn_scratch.ninval);
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		unsigned int times;
		const struct ummunotify_event *ev =
			umn_find(&umn_scratch, regs[i].cookie, &times);

		ASSERT_NE(NULL, ev) TH_LOG("cookie %" PRIu64 " missing", regs[i].cookie);
		EXPECT_EQ(1, times);
		EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, ev->flags);
		EXPECT_EQ(umn_addr(p) + regs[i].from, ev->hint_start);
		EXPECT_EQ(umn_addr(p) + regs[i].to, ev->hint_end);
	}
	EXPECT_EQ(1, umn_scratch.last_counter);
}

TEST_F(events, queue_order_is_order_of_first_hit)
{
	static const uint64_t order[] = { 30, 10, 20 };
	size_t pg = self->pg, i;
	char *p = umn_map_pages(3);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, pg, 10));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + pg, pg, 20));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + 2 * pg, pg, 30));
	ASSERT_EQ(0, munmap(p + 2 * pg, pg));
	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(0, munmap(p + pg, pg));
	ASSERT_EQ(3, umn_counter(self->counter));

	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	ASSERT_EQ(3, umn_scratch.ninval);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		EXPECT_EQ(order[i], umn_scratch.inval[i].user_cookie_counter)
			TH_LOG("event %zu", i);
	}
	EXPECT_EQ(3, umn_scratch.last_counter);
}

TEST_F(events, hit_of_queued_registration_keeps_its_place)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(3);
	const struct ummunotify_event *ev = umn_scratch.inval;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 2 * pg, 1));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + 2 * pg, pg, 2));
	ASSERT_EQ(0, munmap(p, pg));		/* 1 queued */
	ASSERT_EQ(0, munmap(p + 2 * pg, pg));	/* 2 queued behind it */
	ASSERT_EQ(0, munmap(p + pg, pg));	/* 1 hit again */
	ASSERT_EQ(3, umn_counter(self->counter));

	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	ASSERT_EQ(2, umn_scratch.ninval);
	EXPECT_EQ(1, ev[0].user_cookie_counter);
	EXPECT_EQ(0, ev[0].flags);
	EXPECT_EQ(umn_addr(p), ev[0].hint_start);
	EXPECT_EQ(umn_addr(p + 2 * pg), ev[0].hint_end);
	EXPECT_EQ(2, ev[1].user_cookie_counter);
	EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, ev[1].flags);
	EXPECT_EQ(3, umn_scratch.last_counter);
}

TEST_F(events, unregister_drops_queued_event)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2);
	struct umn_fdinfo info;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, pg, 1));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + pg, pg, 2));
	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(0, munmap(p + pg, pg));
	ASSERT_EQ(2, umn_counter(self->counter));

	ASSERT_EQ(0, umn_unregister(self->fd, 1));
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(1, info.queued);
	EXPECT_EQ(1, info.registrations);
	umn_expect_single_event(self->fd, 2, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), umn_addr(p + 2 * pg), 2);
}

TEST_F(events, last_resyncs_counter_after_unregister_dropped_only_event)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(1);
	struct ummunotify_event ev[8];
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, pg, 1));
	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(1, umn_counter(self->counter));
	ASSERT_EQ(0, umn_unregister(self->fd, 1));

	/* No event is queued, but the counter moved: still readable. */
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(UMN_EVENT_SIZE, umn_read_nb(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_LAST, ev[0].type);
	EXPECT_EQ(1, ev[0].user_cookie_counter);
	umn_expect_no_event(self->fd);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(events, unregistered_range_is_not_reported)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, pg, 1));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + pg, pg, 2));
	ASSERT_EQ(0, umn_unregister(self->fd, 1));
	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(0, umn_counter(self->counter));
	umn_expect_no_event(self->fd);

	ASSERT_EQ(0, munmap(p + pg, pg));	/* the other one still is */
	umn_expect_single_event(self->fd, 2, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), umn_addr(p + 2 * pg), 1);
}

TEST_F(events, reused_cookie_reports_its_new_range_only)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, pg, 77));
	ASSERT_EQ(0, umn_unregister(self->fd, 77));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p + pg, pg, 77));
	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(0, umn_counter(self->counter));
	umn_expect_no_event(self->fd);
	ASSERT_EQ(0, munmap(p + pg, pg));
	umn_expect_single_event(self->fd, 77, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), umn_addr(p + 2 * pg), 1);
}

TEST_F(events, registration_of_unmapped_range_reports_later_mapping_change)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(1);
	char *q;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, munmap(p, pg));
	/* Watch a hole, then map it and unmap it again. */
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, pg, 8));
	q = mmap(p, pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(p, q);
	ASSERT_EQ(0, umn_counter(self->counter));
	ASSERT_EQ(0, munmap(q, pg));
	ASSERT_EQ(1, umn_counter(self->counter));
	umn_expect_single_event(self->fd, 8, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p), umn_addr(p + pg), 1);
}

TEST_HARNESS_MAIN
