// SPDX-License-Identifier: GPL-2.0
/*
 * UMMUNOTIFY_FEATURE_EVENT_RING: INVAL events written into a ring mapped at
 * UMMUNOTIFY_RING_OFFSET and consumed with loads and a store into a tail
 * word of the process's own memory.  The setup's and the mapping's checks,
 * events in the ring instead of the read() queue, wrap-around, a full ring
 * falling back to read() with nothing lost and recovering, a tail the
 * kernel must not believe, poll(), fork (the child has no ring), close with
 * events pending, and many threads invalidating while one consumes: every
 * hit arrives exactly once.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "umn_test.h"

#define RING_ENTRIES	UMMUNOTIFY_RING_MIN_ENTRIES

/* The mapping's length for a ring of @entries. */
static size_t ring_len(size_t entries)
{
	return UMMUNOTIFY_RING_LEN(umn_page_size(), entries);
}

/* UMMUNOTIFY_SETUP_RING; 0 or -errno. */
static int make_ring(int fd, uint32_t entries, uint64_t *tail)
{
	struct ummunotify_ring_setup setup = {
		.tail = umn_addr(tail),
		.entries = entries,
	};

	return ioctl(fd, UMMUNOTIFY_SETUP_RING, &setup) ? -errno : 0;
}

/* Maps the ring of @entries of @fd; NULL with errno set on failure. */
static struct ummunotify_ring *ring_map(int fd, size_t entries)
{
	void *p = mmap(NULL, ring_len(entries), PROT_READ, MAP_SHARED, fd,
		       UMMUNOTIFY_RING_OFFSET);

	return p == MAP_FAILED ? NULL : p;
}

/* A tail word of its own page; NULL on failure. */
static uint64_t *tail_word(void)
{
	return (uint64_t *)umn_map_pages(1);
}

static const struct ummunotify_event *ring_entry(const struct ummunotify_ring *r,
						 uint64_t seq)
{
	const struct ummunotify_event *ev = (const void *)((const char *)r + umn_page_size());

	return &ev[seq & (r->entries - 1)];
}

static uint64_t ring_head(const struct ummunotify_ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
}

static void ring_set_tail(uint64_t *word, uint64_t tail)
{
	__atomic_store_n(word, tail, __ATOMIC_RELEASE);
}

/*
 * Opens the device with every feature agreed (SKIP_SAME_PAGES: the counts
 * below are of zaps only, not of fork's write-protection and the like);
 * the fd or -errno.
 */
static int open_with_ring(void)
{
	uint32_t features = UMN_KNOWN_FEATURES;
	int fd = umn_open(O_NONBLOCK);

	if (fd < 0)
		return fd;
	if (ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features) || features != UMN_KNOWN_FEATURES) {
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

FIXTURE(ring) {
	int fd;
	const uint64_t *counter;
	struct ummunotify_ring *r;
	uint64_t *tail;
	char *p;
	size_t pg;
};

FIXTURE_SETUP(ring)
{
	self->pg = umn_page_size();
	self->fd = open_with_ring();
	ASSERT_LE(0, self->fd) TH_LOG("open with the ring: %s", strerror(-self->fd));
	self->counter = umn_map_counter(self->fd);
	ASSERT_NE(NULL, self->counter);
	self->tail = tail_word();
	ASSERT_NE(NULL, self->tail);
	ASSERT_EQ(0, make_ring(self->fd, RING_ENTRIES, self->tail));
	self->r = ring_map(self->fd, RING_ENTRIES);
	ASSERT_NE(NULL, self->r) TH_LOG("mmap ring: %s", strerror(errno));
	ASSERT_EQ(RING_ENTRIES, self->r->entries);
	self->p = umn_map_pages(4);
	ASSERT_NE(NULL, self->p);
}

FIXTURE_TEARDOWN(ring)
{
	munmap(self->p, 4 * self->pg);
	munmap(self->r, ring_len(RING_ENTRIES));
	close(self->fd);
	munmap(self->tail, self->pg);
}

/* Zaps page @i of @p (a reported invalidation). */
static int zap_page(char *p, size_t i)
{
	size_t pg = umn_page_size();

	return madvise(p + i * pg, pg, MADV_DONTNEED);
}

#define zap(self, i)	zap_page((self)->p, (i))

TEST_F(ring, an_invalidation_is_written_to_the_ring_not_queued_for_read)
{
	const struct ummunotify_event *ev;
	struct umn_drain d;
	long long queued;

	ASSERT_EQ(0, umn_register_ptr(self->fd, self->p, 4 * self->pg, 42));
	ASSERT_EQ(0, zap(self, 1));

	ASSERT_EQ(1, umn_counter(self->counter));
	ASSERT_EQ(1, ring_head(self->r));
	ev = ring_entry(self->r, 0);
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_INVAL, ev->type);
	EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, ev->flags);
	EXPECT_EQ(umn_addr(self->p + self->pg), ev->hint_start);
	EXPECT_EQ(umn_addr(self->p + 2 * self->pg), ev->hint_end);
	EXPECT_EQ(42, ev->user_cookie_counter);
	EXPECT_EQ(0, self->r->flags);
	ASSERT_EQ(0, umn_fdinfo_value(self->fd, "queued", &queued));
	EXPECT_EQ(0, queued);
	/* read() has nothing but the LAST event. */
	ASSERT_EQ(0, umn_drain(self->fd, &d)) TH_LOG("%s", d.why);
	EXPECT_EQ(0, d.ninval);
	EXPECT_EQ(1, d.last_counter);
}

TEST_F(ring, every_hit_gets_its_own_entry_with_its_own_hint)
{
	ASSERT_EQ(0, umn_register_ptr(self->fd, self->p, 4 * self->pg, 5));
	ASSERT_EQ(0, zap(self, 0));
	ASSERT_EQ(0, zap(self, 3));

	ASSERT_EQ(2, ring_head(self->r));
	EXPECT_EQ(umn_addr(self->p), ring_entry(self->r, 0)->hint_start);
	EXPECT_EQ(umn_addr(self->p + 4 * self->pg), ring_entry(self->r, 1)->hint_end);
	EXPECT_EQ(5, ring_entry(self->r, 1)->user_cookie_counter);
	EXPECT_EQ(2, umn_counter(self->counter));
}

TEST_F(ring, the_ring_wraps_around)
{
	uint64_t seq, rounds = 3 * RING_ENTRIES + 5;

	ASSERT_EQ(0, umn_register_ptr(self->fd, self->p, self->pg, 9));
	for (seq = 0; seq < rounds; seq++) {
		ASSERT_EQ(0, zap(self, 0));
		ASSERT_EQ(seq + 1, ring_head(self->r));
		ASSERT_EQ(9, ring_entry(self->r, seq)->user_cookie_counter);
		ASSERT_EQ(umn_addr(self->p), ring_entry(self->r, seq)->hint_start);
		ring_set_tail(self->tail, seq + 1);
	}
	EXPECT_EQ(0, self->r->flags);
	EXPECT_EQ(rounds, umn_counter(self->counter));
}

TEST_F(ring, a_full_ring_queues_for_read_then_recovers)
{
	struct umn_drain d;
	uint64_t i;

	ASSERT_EQ(0, umn_register_ptr(self->fd, self->p, self->pg, 1));
	ASSERT_EQ(0, umn_register_ptr(self->fd, self->p + self->pg, self->pg, 2));
	for (i = 0; i < RING_ENTRIES; i++)
		ASSERT_EQ(0, zap(self, 0));
	ASSERT_EQ(RING_ENTRIES, ring_head(self->r));
	EXPECT_EQ(0, self->r->flags);

	/* Full: both go to read(), merged however often they are hit. */
	ASSERT_EQ(0, zap(self, 0));
	ASSERT_EQ(0, zap(self, 1));
	ASSERT_EQ(0, zap(self, 1));
	EXPECT_EQ(RING_ENTRIES, ring_head(self->r));
	EXPECT_EQ(UMMUNOTIFY_RING_OVERFLOW, self->r->flags);
	EXPECT_EQ(RING_ENTRIES + 3, umn_counter(self->counter));

	/* Consuming the ring does not take the queued ones. */
	ring_set_tail(self->tail, RING_ENTRIES);
	EXPECT_EQ(UMMUNOTIFY_RING_OVERFLOW, self->r->flags);
	ASSERT_EQ(0, umn_drain(self->fd, &d)) TH_LOG("%s", d.why);
	ASSERT_EQ(2, d.ninval);
	EXPECT_EQ(1, d.inval[0].user_cookie_counter);
	EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, d.inval[0].flags);
	EXPECT_EQ(2, d.inval[1].user_cookie_counter);
	EXPECT_EQ(0, d.inval[1].flags) TH_LOG("hit twice: no hint");
	EXPECT_EQ(0, self->r->flags);

	/* Room again: the next hit is in the ring. */
	ASSERT_EQ(0, zap(self, 1));
	ASSERT_EQ(RING_ENTRIES + 1, ring_head(self->r));
	EXPECT_EQ(2, ring_entry(self->r, RING_ENTRIES)->user_cookie_counter);
	EXPECT_EQ(0, self->r->flags);
}

TEST_F(ring, a_tail_outside_the_ring_is_ignored_and_nothing_is_lost)
{
	struct umn_drain d;
	long long tail;
	uint64_t i;

	ASSERT_EQ(0, umn_register_ptr(self->fd, self->p, self->pg, 3));
	ASSERT_EQ(0, zap(self, 0));
	/* Beyond the head: not believed, so the ring fills at its true tail. */
	ring_set_tail(self->tail, 1000);
	for (i = 1; i < RING_ENTRIES; i++)
		ASSERT_EQ(0, zap(self, 0));
	ASSERT_EQ(RING_ENTRIES, ring_head(self->r));
	ASSERT_EQ(0, zap(self, 0));
	EXPECT_EQ(RING_ENTRIES, ring_head(self->r));
	EXPECT_EQ(UMMUNOTIFY_RING_OVERFLOW, self->r->flags);
	ASSERT_EQ(0, umn_drain(self->fd, &d)) TH_LOG("%s", d.why);
	ASSERT_EQ(1, d.ninval);
	EXPECT_EQ(3, d.inval[0].user_cookie_counter);

	/* A valid tail is taken again; one going backwards is not. */
	ring_set_tail(self->tail, RING_ENTRIES - 1);
	ASSERT_EQ(0, zap(self, 0));
	EXPECT_EQ(RING_ENTRIES + 1, ring_head(self->r));
	ring_set_tail(self->tail, 2);
	ASSERT_EQ(0, umn_fdinfo_value(self->fd, "ring_tail", &tail));
	EXPECT_EQ(RING_ENTRIES - 1, tail);
}

TEST_F(ring, poll_is_readable_while_entries_are_not_consumed)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };

	ASSERT_EQ(0, umn_register_ptr(self->fd, self->p, self->pg, 4));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, zap(self, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ring_set_tail(self->tail, ring_head(self->r));
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("consumed, though no LAST was read");
}

TEST_F(ring, events_queued_before_the_ring_existed_wait_for_read)
{
	uint32_t features = UMMUNOTIFY_FEATURE_EVENT_RING;
	struct ummunotify_ring *r;
	struct umn_drain d;
	int fd = umn_open(O_NONBLOCK);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	ASSERT_EQ(0, umn_register_ptr(fd, self->p, self->pg, 6));
	ASSERT_EQ(0, zap(self, 0));
	ASSERT_EQ(0, make_ring(fd, RING_ENTRIES, self->tail + 1));
	r = ring_map(fd, RING_ENTRIES);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, ring_head(r));
	EXPECT_EQ(UMMUNOTIFY_RING_OVERFLOW, r->flags);
	ASSERT_EQ(0, umn_drain(fd, &d)) TH_LOG("%s", d.why);
	ASSERT_EQ(1, d.ninval);
	EXPECT_EQ(6, d.inval[0].user_cookie_counter);
	EXPECT_EQ(0, r->flags);
	munmap(r, ring_len(RING_ENTRIES));
	close(fd);
}

TEST(ring_setup_and_mapping_are_checked)
{
	uint64_t *tail = tail_word(), *read_only;
	struct ummunotify_ring *r, *again;
	size_t pg = umn_page_size();
	uint32_t features = 0;
	int fd = umn_open(0);
	void *p;

	ASSERT_NE(NULL, tail);
	ASSERT_LE(0, fd);
	/* Without the feature, as in 2010: unknown, and the file stays unused. */
	EXPECT_EQ(-ENOTTY, make_ring(fd, RING_ENTRIES, tail)) TH_LOG("without the feature");
	EXPECT_EQ(NULL, ring_map(fd, RING_ENTRIES));
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, ring_len(RING_ENTRIES), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		 UMMUNOTIFY_RING_OFFSET);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno) TH_LOG("the offset refused first, as any other");
	ASSERT_EQ(0, ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features)) TH_LOG("still unused");
	EXPECT_EQ(-ENOTTY, make_ring(fd, RING_ENTRIES, tail));
	close(fd);

	fd = open_with_ring();
	ASSERT_LE(0, fd);
	EXPECT_EQ(NULL, ring_map(fd, RING_ENTRIES));
	EXPECT_EQ(EINVAL, errno) TH_LOG("no ring yet");
	EXPECT_EQ(-EINVAL, make_ring(fd, RING_ENTRIES / 2, tail)) TH_LOG("below the minimum");
	EXPECT_EQ(-EINVAL, make_ring(fd, 2 * UMMUNOTIFY_RING_MAX_ENTRIES, tail));
	EXPECT_EQ(-EINVAL, make_ring(fd, 3 * RING_ENTRIES, tail)) TH_LOG("not a power of two");
	EXPECT_EQ(-EINVAL, make_ring(fd, RING_ENTRIES, (uint64_t *)((char *)tail + 4)));
	read_only = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, read_only);
	EXPECT_EQ(-EFAULT, make_ring(fd, RING_ENTRIES, read_only)) TH_LOG("read-only tail");
	EXPECT_EQ(-EFAULT, make_ring(fd, RING_ENTRIES, NULL));

	ASSERT_EQ(0, make_ring(fd, RING_ENTRIES, tail));
	EXPECT_EQ(-EBUSY, make_ring(fd, RING_ENTRIES, tail));
	EXPECT_EQ(NULL, ring_map(fd, 2 * RING_ENTRIES));
	EXPECT_EQ(EINVAL, errno) TH_LOG("another size than the ring's");
	p = mmap(NULL, ring_len(RING_ENTRIES), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 UMMUNOTIFY_RING_OFFSET);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("writable");
	r = ring_map(fd, RING_ENTRIES);
	ASSERT_NE(NULL, r) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, mprotect(r, pg, PROT_READ | PROT_WRITE)) TH_LOG("made writable later");
	again = ring_map(fd, RING_ENTRIES);
	ASSERT_NE(NULL, again);
	EXPECT_EQ(RING_ENTRIES, again->entries) TH_LOG("the same ring");
	munmap(again, ring_len(RING_ENTRIES));
	munmap(r, ring_len(RING_ENTRIES));
	munmap(read_only, pg);
	close(fd);
	munmap(tail, pg);
}

TEST_F(ring, a_fork_child_has_no_ring)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, umn_register_ptr(self->fd, self->p, self->pg, 8));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The mapping was not copied: the first load faults. */
		signal(SIGSEGV, SIG_DFL);
		_exit((int)ring_head(self->r) + 100);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("child status %#x", status);
	/* The parent's ring works on. */
	ASSERT_EQ(0, zap(self, 0));
	EXPECT_EQ(8, ring_entry(self->r, ring_head(self->r) - 1)->user_cookie_counter);
}

TEST(closing_with_entries_pending_keeps_the_mapping_until_unmapped)
{
	size_t pg = umn_page_size();
	struct ummunotify_ring *r;
	char *p = umn_map_pages(1);
	uint64_t *tail = tail_word();
	int fd = open_with_ring();
	uint64_t i;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, tail);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, make_ring(fd, RING_ENTRIES, tail));
	r = ring_map(fd, RING_ENTRIES);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, umn_register_ptr(fd, p, pg, 11));
	for (i = 0; i < RING_ENTRIES + 2; i++)	/* full, and two for read() */
		ASSERT_EQ(0, madvise(p, pg, MADV_DONTNEED));
	ASSERT_EQ(0, close(fd));
	/* The mapping holds the file: the entries are still there to read. */
	EXPECT_EQ(RING_ENTRIES, ring_head(r));
	EXPECT_EQ(11, ring_entry(r, 0)->user_cookie_counter);
	ASSERT_EQ(0, madvise(p, pg, MADV_DONTNEED));
	EXPECT_EQ(RING_ENTRIES, ring_head(r)) TH_LOG("still the same file's ring");
	EXPECT_EQ(0, munmap(r, ring_len(RING_ENTRIES)));
	munmap(p, pg);
	munmap(tail, pg);
}

#define RACE_THREADS	4
#define RACE_ZAPS	4000
/*
 * Only catches a hang: the consumer stops once the zappers have, so a lost
 * entry is a wrong count, never a wait.  16000 zaps take seconds on
 * Debian's kernel, and over the default 30 s on a KASAN and lockdep
 * kernel under TCG sharing its cores.
 */
#define RACE_TIMEOUT	1200

struct race {
	int fd;
	char *p[RACE_THREADS];
	atomic_int running;
};

static void *zapper(void *arg)
{
	struct race *race = arg;
	static atomic_int next;
	int me = atomic_fetch_add(&next, 1) % RACE_THREADS;
	size_t pg = umn_page_size();
	int i;

	for (i = 0; i < RACE_ZAPS; i++)
		if (madvise(race->p[me], pg, MADV_DONTNEED))
			break;
	atomic_fetch_sub(&race->running, 1);
	return NULL;
}

/*
 * Four threads zap their own registered page 4000 times each while this
 * one consumes the ring, on a file with @features; counts in @seen the
 * entries of each thread's cookie and returns fdinfo's reported_at_end.
 * The ring holds all the entries, so none overflows.
 */
static long long race(struct __test_metadata *_metadata, uint32_t features,
		      unsigned long seen[RACE_THREADS])
{
	size_t entries = UMMUNOTIFY_RING_MAX_ENTRIES, pg = umn_page_size();
	pthread_t threads[RACE_THREADS];
	uint64_t *word = tail_word();
	struct ummunotify_ring *r;
	struct race race = { 0 };
	uint64_t tail = 0, head;
	long long at_end = -1;
	int i, done;

	race.fd = umn_open(0);
	ASSERT_LE(0, race.fd);
	ASSERT_EQ(0, ioctl(race.fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features));
	ASSERT_NE(NULL, word);
	ASSERT_EQ(0, make_ring(race.fd, entries, word));
	r = ring_map(race.fd, entries);
	ASSERT_NE(NULL, r);
	for (i = 0; i < RACE_THREADS; i++) {
		race.p[i] = umn_map_pages(1);
		ASSERT_NE(NULL, race.p[i]);
		ASSERT_EQ(0, umn_register_ptr(race.fd, race.p[i], pg, 100 + i));
	}
	atomic_store(&race.running, RACE_THREADS);
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, zapper, &race));
	do {
		done = atomic_load(&race.running) == 0;
		head = ring_head(r);
		for (; tail < head; tail++) {
			uint64_t cookie = ring_entry(r, tail)->user_cookie_counter;

			ASSERT_TRUE(cookie >= 100 && cookie < 100 + RACE_THREADS)
				TH_LOG("entry %llu: cookie %llu", (unsigned long long)tail,
				       (unsigned long long)cookie);
			seen[cookie - 100]++;
		}
		ring_set_tail(word, tail);
		if (tail == head)
			sched_yield();	/* the zappers need the CPU more */
	} while (!done);
	for (i = 0; i < RACE_THREADS; i++) {
		pthread_join(threads[i], NULL);
		munmap(race.p[i], pg);
	}
	EXPECT_EQ(0, r->flags);
	EXPECT_EQ(0, umn_fdinfo_value(race.fd, "reported_at_end", &at_end));
	munmap(r, ring_len(entries));
	close(race.fd);
	munmap(word, pg);
	return at_end;
}

/* Nothing to set up: the race makes its own file (a fixture for the timeout). */
FIXTURE(many_threads) {
};

FIXTURE_SETUP(many_threads)
{
}

FIXTURE_TEARDOWN(many_threads)
{
}

/* Without REPORT_AT_END: every zap is one entry, none lost, none twice. */
TEST_F_TIMEOUT(many_threads, invalidate_while_one_consumes, RACE_TIMEOUT)
{
	unsigned long seen[RACE_THREADS] = { 0 };
	int i;

	EXPECT_EQ(0, race(_metadata, UMMUNOTIFY_FEATURE_EVENT_RING, seen));
	for (i = 0; i < RACE_THREADS; i++)
		EXPECT_EQ(RACE_ZAPS, seen[i]) TH_LOG("thread %d", i);
}

/*
 * With REPORT_AT_END: an entry consumed while its zap was in progress is
 * written again at its end, so each thread has at least one entry per zap
 * and all the extra ones are the reports at the end, one registration each.
 */
TEST_F_TIMEOUT(many_threads, invalidate_while_one_consumes_reported_at_end, RACE_TIMEOUT)
{
	unsigned long seen[RACE_THREADS] = { 0 }, total = 0;
	long long at_end;
	int i;

	at_end = race(_metadata, UMMUNOTIFY_FEATURE_EVENT_RING |
		      UMMUNOTIFY_FEATURE_REPORT_AT_END, seen);
	for (i = 0; i < RACE_THREADS; i++) {
		EXPECT_LE(RACE_ZAPS, seen[i]) TH_LOG("thread %d", i);
		total += seen[i];
	}
	EXPECT_EQ(RACE_THREADS * RACE_ZAPS + at_end, total);
	TH_LOG("%lld zaps reported again at their end", at_end);
}

TEST_HARNESS_MAIN
