// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress of /dev/ummunotify with an oracle.
 *
 * Worker threads each own a row of page slots.  A slot cycles through:
 * map a page and register it under a fresh cookie; then either invalidate
 * it once (munmap, mmap(MAP_FIXED) over it, or madvise(MADV_DONTNEED)) or
 * unregister it untouched; an invalidated registration is unregistered
 * once its event was read (or, now and then, before, which drops it).
 * One reader thread polls and reads; every thread uses the same file.
 *
 * What must hold, checked as it happens:
 * - after the invalidating call returns, the mapped counter has moved;
 * - no event is delivered by a read() that started after the
 *   unregistration of its cookie had returned;
 * - a LAST event carries a counter that never decreases, and when its
 *   counter is at least the one seen after an invalidation returned, the
 *   event of that invalidation has been delivered by then (unless its
 *   cookie was being unregistered, which may drop it);
 * - the final LAST carries the counter, and nothing stays queued.
 * And, provided the kernel invalidated nothing of its own accord (page
 * migration would; then the counter exceeds the number of invalidating
 * calls made, which is checked): a registration invalidated once is
 * reported once, with the hint of its page, never before the invalidating
 * call started.
 *
 * Bounded by work, not by time: it runs until the workers made
 * MIN_HIT_CALLS invalidating calls, MIN_EARLY_UNREGS unregistrations raced
 * ahead of the reader and the reader read MIN_LASTS LAST events (seconds on
 * an idle guest, however slow a busy machine makes it); --seconds N or
 * UMN_STRESS_SECONDS=N makes it go on for at least N s as well (the
 * reliability run).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "kselftest_harness.h"
#include "umn_test.h"

#define WORKERS		3
#define SLOTS		32		/* per worker */
#define TABLE_SIZE	(1U << 20)	/* cookie records, reused round robin */
#define READ_EVENTS	4096

/* The work a run must see before it stops. */
#define MIN_HIT_CALLS		10000
#define MIN_EARLY_UNREGS	50
#define MIN_LASTS		100

/* Only catches a hang: the work above takes seconds, even at load 10. */
#define HANG_TIMEOUT		900

static unsigned int stress_seconds;	/* a minimum duration as well, or 0 */

/* What a cookie's worker has done with it, in order. */
enum cookie_state {
	C_FREE,			/* record not in use */
	C_REGISTERED,
	C_HIT_STARTED,		/* the invalidating call is under way */
	C_HIT,			/* it returned; hit_counter is set */
	C_UNREGISTERING,	/* the unregister call is under way */
	C_UNREGISTERED,		/* it returned at unreg_epoch */
};

struct cookie_record {
	_Atomic uint64_t cookie;	/* which cookie uses the record */
	_Atomic int state;
	_Atomic int hit_started;	/* an invalidating call was started */
	_Atomic int delivered;		/* INVAL events read for it */
	_Atomic uint64_t hit_counter;	/* counter seen after the hit returned */
	_Atomic uint64_t unreg_epoch;
	uint64_t page;
};

enum slot_state { S_EMPTY, S_ARMED, S_HIT_UNMAPPED, S_HIT_MAPPED };

struct slot {
	enum slot_state state;
	_Atomic uint64_t cookie;	/* read by the reader's check_last() */
};

struct stress {
	int fd;
	const uint64_t *counter;
	size_t pg;
	struct cookie_record *table;
	_Atomic uint64_t next_cookie;
	_Atomic uint64_t epoch;		/* bumped after every unregistration */
	_Atomic uint64_t reader_epoch;	/* epoch when the reader's last read began */
	_Atomic int stop;
	_Atomic int failed;
	char failure[256];
	_Atomic uint64_t anomalies;	/* see "provided" above */
	char anomaly[256];
	pthread_mutex_t failure_lock;
	struct worker *workers;
	/* statistics */
	_Atomic uint64_t hit_calls, hits, unregs, early_unregs, events, lasts, reads;
};

static void fail_stress(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->failure_lock);
	if (!atomic_load(&s->failed)) {
		va_start(ap, fmt);
		vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
		va_end(ap);
		atomic_store(&s->failed, 1);
	}
	pthread_mutex_unlock(&s->failure_lock);
	atomic_store(&s->stop, 1);
}

/* Fails the test unless the kernel invalidated pages on its own (at the end). */
static void anomaly(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->failure_lock);
	if (!atomic_fetch_add(&s->anomalies, 1)) {
		va_start(ap, fmt);
		vsnprintf(s->anomaly, sizeof(s->anomaly), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->failure_lock);
}

static struct cookie_record *record_of(struct stress *s, uint64_t cookie)
{
	return &s->table[cookie % TABLE_SIZE];
}

/*
 * Takes the next cookie.  Its record was last used TABLE_SIZE cookies ago;
 * it may be reused once that cookie is unregistered and a read began after
 * that, so that no event for it can legitimately arrive any more.
 */
static uint64_t new_cookie(struct stress *s, uint64_t page)
{
	uint64_t cookie = atomic_fetch_add(&s->next_cookie, 1);
	struct cookie_record *r = record_of(s, cookie);

	while (atomic_load(&r->state) != C_FREE &&
	       !(atomic_load(&r->state) == C_UNREGISTERED &&
		 atomic_load(&r->unreg_epoch) <= atomic_load(&s->reader_epoch))) {
		if (atomic_load(&s->stop))
			return UINT64_MAX;
		sched_yield();
	}
	atomic_store(&r->state, C_FREE);
	atomic_store(&r->hit_started, 0);
	atomic_store(&r->delivered, 0);
	atomic_store(&r->hit_counter, 0);
	atomic_store(&r->unreg_epoch, 0);
	r->page = page;
	atomic_store(&r->cookie, cookie);
	atomic_store(&r->state, C_REGISTERED);
	return cookie;
}

struct worker {
	struct stress *s;
	unsigned int id;
	char *area;		/* SLOTS pages, each mapped or a hole */
	struct slot slot[SLOTS];
	uint64_t rng;
	pthread_t thread;
};

static char *slot_page(struct worker *w, unsigned int i)
{
	return w->area + (size_t)i * w->s->pg;
}

static bool arm(struct worker *w, unsigned int i)
{
	struct stress *s = w->s;
	char *page = slot_page(w, i);
	uint64_t cookie;
	void *m;
	int ret;

	m = mmap(page, s->pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m != page) {
		fail_stress(s, "worker %u: mmap slot %u: %s", w->id, i, strerror(errno));
		return false;
	}
	page[0] = 1;
	cookie = new_cookie(s, umn_addr(page));
	if (cookie == UINT64_MAX)
		return false;
	ret = umn_register_ptr(s->fd, page, s->pg, cookie);
	if (ret) {
		fail_stress(s, "register cookie %" PRIu64 ": %s", cookie, strerror(-ret));
		return false;
	}
	atomic_store(&w->slot[i].cookie, cookie);
	w->slot[i].state = S_ARMED;
	return true;
}

static void unregister_slot(struct worker *w, unsigned int i)
{
	struct stress *s = w->s;
	struct cookie_record *r = record_of(s, w->slot[i].cookie);
	int ret;

	atomic_store(&r->state, C_UNREGISTERING);
	ret = umn_unregister(s->fd, w->slot[i].cookie);
	if (ret) {
		fail_stress(s, "unregister cookie %" PRIu64 ": %s",
			    w->slot[i].cookie, strerror(-ret));
		return;
	}
	atomic_store(&r->unreg_epoch, atomic_fetch_add(&s->epoch, 1) + 1);
	atomic_store(&r->state, C_UNREGISTERED);
	atomic_fetch_add(&s->unregs, 1);
}

/*
 * Invalidates slots [i, i + n) (all armed) with one call of kind @how:
 * 0 munmap, 1 mmap(MAP_FIXED) over them, 2 madvise(MADV_DONTNEED).
 */
static void hit(struct worker *w, unsigned int i, unsigned int n, int how)
{
	struct stress *s = w->s;
	char *page = slot_page(w, i);
	size_t len = n * s->pg;
	uint64_t before, after;
	unsigned int k;
	int ret;

	for (k = i; k < i + n; k++) {
		struct cookie_record *r = record_of(s, w->slot[k].cookie);

		atomic_store(&r->hit_started, 1);
		atomic_store(&r->state, C_HIT_STARTED);
	}
	before = umn_counter(s->counter);
	switch (how) {
	case 0:
		ret = munmap(page, len);
		break;
	case 1:
		ret = mmap(page, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == page ? 0 : -1;
		break;
	default:
		ret = madvise(page, len, MADV_DONTNEED);
		break;
	}
	if (ret) {
		fail_stress(s, "invalidation %d of slots %u+%u: %s", how, i, n, strerror(errno));
		return;
	}
	after = umn_counter(s->counter);
	if (after == before) {
		fail_stress(s, "counter still %" PRIu64 " after invalidation %d returned",
			    after, how);
		return;
	}
	for (k = i; k < i + n; k++) {
		struct cookie_record *r = record_of(s, w->slot[k].cookie);

		atomic_store(&r->hit_counter, after);
		atomic_store(&r->state, C_HIT);
		w->slot[k].state = how == 0 ? S_HIT_UNMAPPED : S_HIT_MAPPED;
	}
	atomic_fetch_add(&s->hit_calls, 1);
	atomic_fetch_add(&s->hits, n);
}

static void retire(struct worker *w, unsigned int i)
{
	struct stress *s = w->s;
	bool mapped = w->slot[i].state != S_HIT_UNMAPPED;

	unregister_slot(w, i);
	/* Unwatched now: unmapping it must produce no event for the cookie. */
	if (mapped && munmap(slot_page(w, i), s->pg))
		fail_stress(s, "munmap retired slot: %s", strerror(errno));
	w->slot[i].state = S_EMPTY;
}

static void step(struct worker *w)
{
	unsigned int i = umn_random(&w->rng) % SLOTS;
	unsigned int dice = umn_random(&w->rng) % 16;
	struct slot *sl = &w->slot[i];
	struct cookie_record *r;

	switch (sl->state) {
	case S_EMPTY:
		arm(w, i);
		break;
	case S_ARMED:
		if (dice < 2)
			retire(w, i);		/* never hit */
		else if (dice < 6 && i + 1 < SLOTS && sl[1].state == S_ARMED)
			hit(w, i, 2, 0);	/* one munmap, two registrations */
		else
			hit(w, i, 1, dice % 3);	/* munmap, MAP_FIXED, DONTNEED */
		break;
	default:
		r = record_of(w->s, sl->cookie);
		if (atomic_load(&r->delivered)) {
			retire(w, i);
		} else if (dice == 0) {
			atomic_fetch_add(&w->s->early_unregs, 1);
			retire(w, i);		/* drops the queued event */
		}
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&w->s->stop))
		step(w);
	return NULL;
}

static void check_inval(struct stress *s, const struct ummunotify_event *ev,
			uint64_t read_epoch)
{
	uint64_t cookie = ev->user_cookie_counter;
	struct cookie_record *r = record_of(s, cookie);
	uint64_t unreg_epoch;

	if (atomic_load(&r->cookie) != cookie) {
		fail_stress(s, "event for cookie %" PRIu64 ", unregistered long ago", cookie);
		return;
	}
	unreg_epoch = atomic_load(&r->unreg_epoch);
	if (unreg_epoch && unreg_epoch <= read_epoch) {
		fail_stress(s, "event for cookie %" PRIu64 " unregistered (epoch %" PRIu64
			    ") before the read began (epoch %" PRIu64 ")",
			    cookie, unreg_epoch, read_epoch);
		return;
	}
	if (!atomic_load(&r->hit_started))
		anomaly(s, "event for cookie %" PRIu64 " before any invalidation of it", cookie);
	if (atomic_fetch_add(&r->delivered, 1))
		anomaly(s, "cookie %" PRIu64 " invalidated once, reported twice", cookie);
	if (ev->flags != UMMUNOTIFY_EVENT_FLAG_HINT || ev->hint_start != r->page ||
	    ev->hint_end != r->page + s->pg)
		anomaly(s, "cookie %" PRIu64 ": flags %#x hint %#" PRIx64 "-%#" PRIx64
			", expected the hint of page %#" PRIx64, cookie, ev->flags,
			(uint64_t)ev->hint_start, (uint64_t)ev->hint_end, r->page);
}

/*
 * Every live registration invalidated before counter @last must have been
 * reported by now, unless it is being unregistered (which may drop it).
 */
static void check_last(struct stress *s, uint64_t last)
{
	unsigned int i, j;

	for (i = 0; i < WORKERS; i++) {
		for (j = 0; j < SLOTS; j++) {
			uint64_t c = atomic_load(&s->workers[i].slot[j].cookie);
			struct cookie_record *r = record_of(s, c);
			uint64_t hit_counter = atomic_load(&r->hit_counter);

			if (atomic_load(&r->cookie) != c || !hit_counter ||
			    hit_counter > last || atomic_load(&r->delivered))
				continue;
			/* Re-checked last: unregistering may have begun meanwhile. */
			if (atomic_load(&r->state) != C_HIT || atomic_load(&r->cookie) != c)
				continue;
			fail_stress(s, "LAST %" PRIu64 " without the event of cookie %" PRIu64
				    " (counter %" PRIu64 " after its invalidation returned)",
				    last, c, hit_counter);
			return;
		}
	}
}

static struct ummunotify_event read_buf[READ_EVENTS];

/* Reads once (the fd is non-blocking); returns true if a LAST came. */
static bool read_and_check(struct stress *s, uint64_t *prev_last, bool *saw_eagain)
{
	uint64_t read_epoch = atomic_load(&s->epoch);
	ssize_t n, i, count;

	*saw_eagain = false;
	/* Reads that began before read_epoch are all checked by now. */
	atomic_store(&s->reader_epoch, read_epoch);
	n = read(s->fd, read_buf, sizeof(read_buf));
	if (n < 0) {
		if (errno == EAGAIN) {
			*saw_eagain = true;
			return false;
		}
		fail_stress(s, "read: %s", strerror(errno));
		return false;
	}
	atomic_fetch_add(&s->reads, 1);
	if (n == 0 || n % UMN_EVENT_SIZE) {
		fail_stress(s, "read returned %zd bytes", n);
		return false;
	}
	count = n / UMN_EVENT_SIZE;
	for (i = 0; i < count && !atomic_load(&s->failed); i++) {
		const struct ummunotify_event *ev = &read_buf[i];

		if (ev->type == UMMUNOTIFY_EVENT_TYPE_INVAL) {
			atomic_fetch_add(&s->events, 1);
			check_inval(s, ev, read_epoch);
			continue;
		}
		if (ev->type != UMMUNOTIFY_EVENT_TYPE_LAST || i != count - 1) {
			fail_stress(s, "record %zd of %zd has type %u", i, count, ev->type);
			return false;
		}
		atomic_fetch_add(&s->lasts, 1);
		if (ev->user_cookie_counter < *prev_last ||
		    ev->user_cookie_counter > umn_counter(s->counter)) {
			fail_stress(s, "LAST %" PRIu64 " after LAST %" PRIu64 ", counter %" PRIu64,
				    (uint64_t)ev->user_cookie_counter, *prev_last,
				    umn_counter(s->counter));
			return false;
		}
		*prev_last = ev->user_cookie_counter;
		check_last(s, *prev_last);
		return true;
	}
	return false;
}

static uint64_t reader_last;

static void *reader_main(void *arg)
{
	struct stress *s = arg;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	bool eagain;

	while (!atomic_load(&s->stop)) {
		if (poll(&pfd, 1, 20) < 0) {
			fail_stress(s, "poll: %s", strerror(errno));
			break;
		}
		read_and_check(s, &reader_last, &eagain);
	}
	return NULL;
}

FIXTURE(stress) {
	struct stress s;
	struct worker w[WORKERS];
};

FIXTURE_SETUP(stress)
{
	struct stress *s = &self->s;

	s->pg = umn_page_size();
	s->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, s->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-s->fd));
	s->counter = umn_map_counter(s->fd);
	ASSERT_NE(NULL, s->counter);
	s->table = mmap(NULL, TABLE_SIZE * sizeof(*s->table), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, s->table);
	pthread_mutex_init(&s->failure_lock, NULL);
}

FIXTURE_TEARDOWN(stress)
{
	close(self->s.fd);
}

/* Whether the workers have done all the run must see. */
static bool stress_done(struct stress *s, const struct timespec *start)
{
	struct timespec now;

	if (atomic_load(&s->hit_calls) < MIN_HIT_CALLS ||
	    atomic_load(&s->early_unregs) < MIN_EARLY_UNREGS ||
	    atomic_load(&s->lasts) < MIN_LASTS)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec >= (time_t)stress_seconds;
}

TEST_F_TIMEOUT(stress, concurrent_register_invalidate_read_loses_no_event, HANG_TIMEOUT)
{
	struct stress *s = &self->s;
	struct timespec start, end;
	pthread_t reader;
	uint64_t final_last;
	bool eagain = false, got_last = false;
	unsigned int i, j, k;
	struct umn_fdinfo info;

	s->workers = self->w;
	for (i = 0; i < WORKERS; i++) {
		struct worker *w = &self->w[i];

		w->s = s;
		w->id = i;
		w->rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		/*
		 * A hole of SLOTS pages to map into, between two guard pages
		 * so that no other mapping (a thread stack) is put into it.
		 */
		w->area = mmap(NULL, (SLOTS + 2) * s->pg, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, w->area);
		w->area += s->pg;
		ASSERT_EQ(0, munmap(w->area, SLOTS * s->pg));
	}
	ASSERT_EQ(0, pthread_create(&reader, NULL, reader_main, s));
	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(0, pthread_create(&self->w[i].thread, NULL, worker_main, &self->w[i]))
			TH_LOG("worker %u", i);
	}

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		usleep(100000);
	} while (!atomic_load(&s->stop) && !stress_done(s, &start));
	atomic_store(&s->stop, 1);
	clock_gettime(CLOCK_MONOTONIC, &end);
	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(0, pthread_join(self->w[i].thread, NULL))
			TH_LOG("worker %u", i);
	}
	ASSERT_EQ(0, pthread_join(reader, NULL));
	ASSERT_FALSE(atomic_load(&s->failed)) TH_LOG("%s", s->failure);

	/* Quiescent: one last drain must end with a LAST at the counter. */
	final_last = reader_last;
	while (!eagain && !atomic_load(&s->failed))
		got_last |= read_and_check(s, &final_last, &eagain);
	ASSERT_FALSE(atomic_load(&s->failed)) TH_LOG("%s", s->failure);
	if (final_last != umn_counter(s->counter)) {
		ASSERT_TRUE(got_last)
			TH_LOG("no LAST at counter %" PRIu64, umn_counter(s->counter));
	}
	ASSERT_EQ(umn_counter(s->counter), final_last);
	check_last(s, final_last);
	ASSERT_FALSE(atomic_load(&s->failed)) TH_LOG("%s", s->failure);

	/* The file's books balance: each live slot is one registration. */
	ASSERT_EQ(0, umn_read_fdinfo(s->fd, &info));
	EXPECT_EQ(0, info.queued);
	k = 0;
	for (i = 0; i < WORKERS; i++)
		for (j = 0; j < SLOTS; j++)
			k += self->w[i].slot[j].state != S_EMPTY;
	EXPECT_EQ(k, info.registrations);

	/* One counter step per invalidating call, unless the kernel added some. */
	ASSERT_LE(atomic_load(&s->hit_calls), umn_counter(s->counter));
	if (atomic_load(&s->anomalies)) {
		ASSERT_LT(atomic_load(&s->hit_calls), umn_counter(s->counter))
			TH_LOG("%" PRIu64 " anomalies, first: %s",
			       atomic_load(&s->anomalies), s->anomaly);
		TH_LOG("%" PRIu64 " anomalies (first: %s) explained by %" PRIu64
		       " invalidations the kernel made on its own",
		       atomic_load(&s->anomalies), s->anomaly,
		       umn_counter(s->counter) - atomic_load(&s->hit_calls));
	}

	TH_LOG("%ld s: %" PRIu64 " cookies, %" PRIu64 " invalidated by %" PRIu64
	       " calls, %" PRIu64
	       " unregistered (%" PRIu64 " before their event was read), %" PRIu64
	       " events and %" PRIu64 " LASTs in %" PRIu64 " reads, counter %" PRIu64,
	       (long)(end.tv_sec - start.tv_sec), atomic_load(&s->next_cookie),
	       atomic_load(&s->hits),
	       atomic_load(&s->hit_calls), atomic_load(&s->unregs), atomic_load(&s->early_unregs),
	       atomic_load(&s->events), atomic_load(&s->lasts), atomic_load(&s->reads),
	       umn_counter(s->counter));
	ASSERT_LT(0, atomic_load(&s->hits));
	ASSERT_LT(0, atomic_load(&s->lasts));
}

/* The harness's main, renamed so that ours can parse --seconds first. */
#define main harness_main
TEST_HARNESS_MAIN
#undef main

int main(int argc, char **argv)
{
	const char *env = getenv("UMN_STRESS_SECONDS");
	char *end;
	long v;

	if (env && *env) {
		v = strtol(env, &end, 10);
		if (*end || v < 1 || v > 86400) {
			fprintf(stderr, "UMN_STRESS_SECONDS=%s: expected 1..86400\n", env);
			return 2;
		}
		stress_seconds = v;
	}
	if (argc == 3 && !strcmp(argv[1], "--seconds")) {
		v = strtol(argv[2], &end, 10);
		if (*end || v < 1 || v > 86400) {
			fprintf(stderr, "--seconds %s: expected 1..86400\n", argv[2]);
			return 2;
		}
		stress_seconds = v;
		argc = 1;
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--seconds N]   (or UMN_STRESS_SECONDS=N)\n", argv[0]);
		return 2;
	}
	/* The harness kills a test after its timeout: leave room for ours. */
	_stress_concurrent_register_invalidate_read_loses_no_event_object.timeout =
		stress_seconds + HANG_TIMEOUT;
	return harness_main(argc, argv);
}
