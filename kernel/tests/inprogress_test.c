// SPDX-License-Identifier: GPL-2.0
/*
 * UMMUNOTIFY_FEATURE_REPORT_AT_END, on the real kernel: an INVAL read while
 * the invalidation that caused it is still in progress (between
 * invalidate_range_start and _end) is followed, before the invalidating
 * call returns, by another INVAL for that registration (FLAG_HINT, the part
 * it invalidated) and one more counter move; so is the INVAL of a
 * registration made (REGISTER's in-progress check) and read in that window.
 * Without the feature a file keeps the 2010 behaviour: nothing more.
 * The same with an event ring (UMMUNOTIFY_FEATURE_EVENT_RING), whose
 * entries are consumed instead of read: an entry consumed (copied, and
 * the tail stored past it) while its invalidation is in progress is
 * followed by another entry before the call returns, and an entry not
 * consumed by then is not written again.
 *
 * User space cannot stop the kernel between the two callbacks, so every
 * round makes the window wide and looks whether it caught it:
 *
 * - the test's thread invalidates a populated anonymous mapping of
 *   REGION_PAGES small pages (MADV_NOHUGEPAGE: the zap clears and frees
 *   REGION_PAGES page-table entries, in address order) by
 *   madvise(MADV_DONTNEED), munmap() then mmap() at the same address, or
 *   mmap(MAP_FIXED) over it;
 * - a reader thread, asleep in read() (with a ring: in poll()) when that
 *   begins, is woken by the event invalidate_range_start queued, reads
 *   (consumes) it, and then does what a NIC's pin does: it reads the
 *   region's last page through the page tables (the probe);
 * - if the probe finds the page's old contents, the zap had not reached
 *   the last page, so invalidate_range_end had not run when the event was
 *   read: the round caught the window, and the oracle knows what must
 *   follow once the invalidating call has returned.
 *
 * madvise() is probed both ways: by a pread() of /proc/self/mem
 * (get_user_pages() under mmap_lock held for reading, as madvise() holds
 * it), and by vmsplice() of the page into a pipe, which pins it with
 * get_user_pages_fast() -- no mmap_lock, a walk of the page tables, like
 * the pin_user_pages_fast() of ibv_reg_mr() -- and then reading the pipe.
 * munmap() and mmap(MAP_FIXED) only by vmsplice(): /proc/self/mem cannot
 * look into them, as munmap() takes the VMA out of the tree before it
 * zaps (the probe finds nothing) and mmap(MAP_FIXED) holds mmap_lock for
 * writing throughout (the probe waits and finds the new page).  A plain
 * load would not do: the CPU may still hold a TLB entry of the page after
 * invalidate_range_end (ummunotify.rst).
 *
 * Bounded by work: up to MAX_ROUNDS rounds, until want_caught of them
 * caught the window (10, or UMN_INPROGRESS_CAUGHT=N: the reliability run
 * asks for more).  Every round is checked; a test whose rounds never caught
 * the window is reported as skipped, with its counts, not passed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "umn_test.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define REGION_PAGES	8192		/* 32 MiB of 4 KiB pages */
#define MAX_ROUNDS	400
/* Rounds that must catch the window; UMN_INPROGRESS_CAUGHT=N sets it. */
static unsigned int want_caught = 10;
/* Only catches a hang: MAX_ROUNDS rounds take a minute or two under TCG. */
#define HANG_TIMEOUT	1200
/* The first 8 bytes of the last page in round r: never 0. */
#define PATTERN(r)	(0xa5c3000000000000ULL | (r))

/* The test file's registrations on the region and one far from it. */
#define COOKIE_WHOLE	1	/* [region, region end + a page) */
#define COOKIE_LAST	2	/* [last page, region end + a page) */
#define COOKIE_FAR	3	/* a page elsewhere: never invalidated */
#define COOKIE_NEW(r)	(1000 + (r))	/* REGISTER in the window, round r */
/* Entries a drain takes from the ring at most (a round leaves three or so). */
#define RING_ENTRIES	UMMUNOTIFY_RING_MIN_ENTRIES

enum invalidation { BY_DONTNEED, BY_MUNMAP_MMAP, BY_MAP_FIXED };
enum probe_kind { PROBE_PROC_MEM, PROBE_GUP_FAST };
enum probe_outcome { SAW_OLD, SAW_NEW, SAW_NOTHING, SAW_OTHER };

/*
 * What the reader does in a round: read the event of an existing
 * registration, or (REGISTER_IN_WINDOW) wake on another file's event and
 * then register the last page, read the event REGISTER queued, and probe.
 */
enum round_kind { READ_IN_WINDOW, REGISTER_IN_WINDOW };

/* State shared by the test's thread and the reader; see reader_main(). */
struct race {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int posted;	/* round the reader is to play; under lock */
	unsigned int done;	/* round whose record is complete; under lock */
	bool stop;		/* under lock */
	atomic_uint entered;	/* round whose read() is under way */
	atomic_int invalidating;	/* the invalidating call has begun */
	atomic_int tid;

	enum round_kind kind;
	enum probe_kind probe;
	int fd;			/* the file under test */
	int detector;		/* REGISTER_IN_WINDOW: watches the region */
	int mem;		/* /proc/self/mem */
	int pipe[2];
	char *region;		/* len bytes, REGION_PAGES pages */
	char *last;		/* its last page */
	char *far;		/* a page elsewhere, never invalidated */
	size_t len;
	size_t pg;
	const uint64_t *counter;	/* the test file's; see counter_now() */
	/* With an event ring: its mapping, our tail word, the entries consumed. */
	struct ummunotify_ring *ring;
	uint64_t *tail;
	uint64_t consumed;
	uint64_t pattern;	/* the last page's first 8 bytes this round */
	char *page_copy;	/* what the gup-fast probe read */

	/* The reader's record of the round. */
	ssize_t nwake;		/* REGISTER_IN_WINDOW: the detector's read */
	ssize_t nread;
	int read_err;
	int register_err;
	bool early;		/* the event came before the invalidating call */
	struct ummunotify_event ev;
	uint64_t counter_after_read;
	enum probe_outcome seen;
	int probe_err;
};

/* The counter the kernel stores with one 64-bit write (ummunotify.rst). */
static uint64_t counter_now(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

/* Maps @fd's counter page; NULL on failure. */
static const uint64_t *map_counter(int fd)
{
	return (const uint64_t *)umn_map_counter(fd);
}

/* Reads the last page through the page tables: see the top of the file. */
static enum probe_outcome probe_last_page(struct race *r)
{
	struct iovec iov = { .iov_base = r->last, .iov_len = r->pg };
	uint64_t word = 0;
	ssize_t n, got;

	if (r->probe == PROBE_PROC_MEM) {
		n = pread(r->mem, &word, sizeof(word), (off_t)umn_addr(r->last));
		if (n != sizeof(word)) {
			r->probe_err = n < 0 ? errno : 0;
			return SAW_NOTHING;
		}
	} else {
		n = vmsplice(r->pipe[1], &iov, 1, 0);
		if (n <= 0) {
			r->probe_err = n < 0 ? errno : 0;
			return SAW_NOTHING;
		}
		/* Empties the pipe: it holds the pinned page until read. */
		for (got = 0; got < n; got += r->pg) {
			if (read(r->pipe[0], r->page_copy, r->pg) != (ssize_t)r->pg) {
				r->probe_err = errno;
				return SAW_OTHER;
			}
		}
		memcpy(&word, r->page_copy, sizeof(word));
	}
	if (word == r->pattern)
		return SAW_OLD;
	return word ? SAW_OTHER : SAW_NEW;
}

/*
 * Takes the test file's next ring entry into @ev and stores the tail past
 * it: head loaded with acquire (the entry is complete below it), the tail
 * stored with release (after the copy), then a full fence before the
 * caller probes the pages (the documented consume order).  Returns what
 * read() would, with errno EAGAIN if the ring has nothing.
 */
static ssize_t consume_one(struct race *r, struct ummunotify_event *ev)
{
	const struct ummunotify_event *slot = (const void *)((const char *)r->ring + r->pg);
	uint64_t head = __atomic_load_n(&r->ring->head, __ATOMIC_ACQUIRE);

	if (head == r->consumed) {
		errno = EAGAIN;
		return -1;
	}
	*ev = slot[r->consumed & (RING_ENTRIES - 1)];
	__atomic_store_n(r->tail, ++r->consumed, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return sizeof(*ev);
}

/* The reader's read() of the test file, or with a ring its consumption. */
static ssize_t take_event(struct race *r, bool wait)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	if (!r->ring)
		return read(r->fd, &r->ev, sizeof(r->ev));
	/* Readable while an entry is not consumed (or read() has events). */
	if (wait && poll(&p, 1, -1) != 1)
		return -1;
	return consume_one(r, &r->ev);
}

/*
 * One round of the reader: asleep in read() or poll() (of the test file,
 * or of the detector) when the invalidation starts, woken by its event,
 * then the probe.  The concurrency argument: the event read proves that
 * invalidate_range_start ran; old data in the last page afterwards proves
 * that the zap, which clears the last page's entry last and is over
 * before invalidate_range_end, had not finished when the event was read.
 */
static void reader_round(struct race *r, unsigned int round)
{
	struct ummunotify_event wake[8];

	r->register_err = 0;
	r->probe_err = 0;
	if (r->kind == REGISTER_IN_WINDOW) {
		r->nwake = read(r->detector, wake, sizeof(wake));
		r->early = !atomic_load(&r->invalidating);
		r->register_err = umn_register(r->fd, umn_addr(r->last),
					       umn_addr(r->last) + 2 * r->pg,
					       COOKIE_NEW(round));
		/* Non-blocking: REGISTER after the end queued nothing. */
		r->nread = take_event(r, false);
	} else {
		r->nread = take_event(r, true);
		r->early = !atomic_load(&r->invalidating);
	}
	r->read_err = r->nread < 0 ? errno : 0;
	r->counter_after_read = counter_now(r->counter);
	r->seen = probe_last_page(r);
}

static void *reader_main(void *arg)
{
	struct race *r = arg;
	unsigned int round;

	atomic_store(&r->tid, gettid());
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->stop && r->posted == r->done)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->stop)
			break;
		round = r->posted;
		pthread_mutex_unlock(&r->lock);

		/* From here on the only place it sleeps is the read(). */
		atomic_store(&r->entered, round);
		reader_round(r, round);

		pthread_mutex_lock(&r->lock);
		r->done = round;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Whether thread @tid sleeps ('S' in its stat). */
static bool sleeping(pid_t tid)
{
	char path[64], stat[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return false;
	stat[n] = 0;
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] == 'S';
}

/*
 * Hands round @round to the reader and waits (10 s at most: only a hang)
 * until it sleeps in its read().  Returns false if it never did.
 */
static bool start_round(struct race *r, unsigned int round)
{
	int i;

	atomic_store(&r->invalidating, 0);
	pthread_mutex_lock(&r->lock);
	r->posted = round;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < 100000; i++) {
		if (atomic_load(&r->entered) == round && sleeping(atomic_load(&r->tid)))
			return true;
		usleep(100);
	}
	return false;
}

static void finish_round(struct race *r, unsigned int round)
{
	pthread_mutex_lock(&r->lock);
	while (r->done != round)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

static void stop_reader(struct race *r, pthread_t thread)
{
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(thread, NULL);
}

FIXTURE(inprogress) {
	struct race r;
};

FIXTURE_VARIANT(inprogress) {
	enum invalidation how;
	enum probe_kind probe;
};

FIXTURE_VARIANT_ADD(inprogress, madvise_dontneed) {
	.how = BY_DONTNEED,
	.probe = PROBE_PROC_MEM,
};

FIXTURE_VARIANT_ADD(inprogress, madvise_dontneed_gup_fast) {
	.how = BY_DONTNEED,
	.probe = PROBE_GUP_FAST,
};

FIXTURE_VARIANT_ADD(inprogress, munmap_then_mmap) {
	.how = BY_MUNMAP_MMAP,
	.probe = PROBE_GUP_FAST,
};

FIXTURE_VARIANT_ADD(inprogress, mmap_map_fixed_over) {
	.how = BY_MAP_FIXED,
	.probe = PROBE_GUP_FAST,
};

/* Small pages only, so that the zap walks every entry (no 2 MiB step). */
static int no_huge_pages(char *p, size_t len)
{
	return madvise(p, len, MADV_NOHUGEPAGE) ? -errno : 0;
}

FIXTURE_SETUP(inprogress)
{
	struct race *r = &self->r;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->fd = -1;
	r->detector = -1;
	r->probe = variant->probe;
	r->pg = umn_page_size();
	r->len = REGION_PAGES * r->pg;
	/* A VMA of its own, a guard page on each side (umn_map_isolated). */
	r->region = umn_map_isolated(REGION_PAGES, 0);
	ASSERT_NE(NULL, r->region);
	ASSERT_EQ(0, no_huge_pages(r->region, r->len));
	r->last = r->region + r->len - r->pg;
	r->far = umn_map_pages(1);
	ASSERT_NE(NULL, r->far);
	r->page_copy = malloc(r->pg);
	ASSERT_NE(NULL, r->page_copy);
	r->mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, r->mem) TH_LOG("open /proc/self/mem: %s", strerror(errno));
	ASSERT_EQ(0, pipe2(r->pipe, O_CLOEXEC));
}

FIXTURE_TEARDOWN(inprogress)
{
	if (self->r.ring)
		munmap(self->r.ring, UMMUNOTIFY_RING_LEN(self->r.pg, RING_ENTRIES));
	if (self->r.tail)
		munmap(self->r.tail, self->r.pg);
	close(self->r.fd);
	close(self->r.detector);
	close(self->r.mem);
	close(self->r.pipe[0]);
	close(self->r.pipe[1]);
}

/* Opens a file agreeing on @features; returns it or -errno. */
static int open_with(__u32 features)
{
	__u32 asked = features;
	int fd = umn_open(0);

	if (fd < 0)
		return fd;
	if (ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features) || features != asked) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/* Sets or clears O_NONBLOCK; 0 or -errno. */
static int set_nonblock(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -errno;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags) ? -errno : 0;
}

/*
 * umn_drain() without blocking, on a file that may be blocking (its flags
 * are put back); a file with nothing to read gives an empty drain.
 */
static int drain_now(int fd, struct umn_drain *d)
{
	int flags = fcntl(fd, F_GETFL);
	int ret;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	ret = umn_drain(fd, d);
	if (ret == -EAGAIN) {
		memset(d, 0, sizeof(*d));
		ret = 0;
	}
	if (fcntl(fd, F_SETFL, flags))
		return -errno;
	return ret;
}

/*
 * Everything the test file has for us, without blocking: with a ring the
 * entries not consumed yet (consumed now), then read() until LAST.  The
 * ring's entries count as INVAL events of @d, after those of read().
 */
static int drain_test_file(struct race *r, struct umn_drain *d)
{
	static struct ummunotify_event taken[RING_ENTRIES];
	size_t n = 0, i;
	int ret;

	while (r->ring && n < RING_ENTRIES && consume_one(r, &taken[n]) > 0)
		n++;
	ret = drain_now(r->fd, d);
	for (i = 0; !ret && i < n; i++) {
		if (taken[i].type != UMMUNOTIFY_EVENT_TYPE_INVAL ||
		    taken[i].flags != UMMUNOTIFY_EVENT_FLAG_HINT)
			return umn_drain_fail(d, "ring entry type %u flags %#x", taken[i].type,
					      taken[i].flags);
		if (d->ninval == UMN_DRAIN_MAX)
			return umn_drain_fail(d, "more than %d INVAL events", UMN_DRAIN_MAX);
		d->inval[d->ninval++] = taken[i];
	}
	return ret;
}

/* Makes the test file's event ring and maps it; 0 or -errno. */
static int make_ring(struct race *r)
{
	struct ummunotify_ring_setup setup = { .entries = RING_ENTRIES };
	void *p;

	r->tail = (uint64_t *)umn_map_pages(1);
	if (!r->tail)
		return -ENOMEM;
	setup.tail = umn_addr(r->tail);
	if (ioctl(r->fd, UMMUNOTIFY_SETUP_RING, &setup))
		return -errno;
	p = mmap(NULL, UMMUNOTIFY_RING_LEN(r->pg, RING_ENTRIES), PROT_READ, MAP_SHARED, r->fd,
		 UMMUNOTIFY_RING_OFFSET);
	if (p == MAP_FAILED)
		return -errno;
	r->ring = p;
	return 0;
}

/* fdinfo's reported_at_end, or -1. */
static long long reported_at_end(int fd)
{
	long long v;

	return umn_fdinfo_value(fd, "reported_at_end", &v) ? -1 : v;
}

/*
 * Every page of the region mapped to a page of its own (not the zero page
 * a probe may have left), the last one starting with @pattern.
 */
static int populate(struct race *r, uint64_t pattern)
{
	if (madvise(r->region, r->len, MADV_POPULATE_WRITE))
		return -errno;
	memcpy(r->last, &pattern, sizeof(pattern));
	r->pattern = pattern;
	return 0;
}

/* The invalidation of the round; 0 or -errno.  Leaves the region mapped. */
static int invalidate(struct race *r, enum invalidation how, uint64_t *counter_on_return)
{
	size_t len = r->len;
	void *p;

	atomic_store(&r->invalidating, 1);
	switch (how) {
	case BY_DONTNEED:
		if (madvise(r->region, len, MADV_DONTNEED))
			return -errno;
		*counter_on_return = counter_now(r->counter);
		return 0;
	case BY_MUNMAP_MMAP:
		if (munmap(r->region, len))
			return -errno;
		*counter_on_return = counter_now(r->counter);
		p = mmap(r->region, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		break;
	default:
		p = mmap(r->region, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		*counter_on_return = counter_now(r->counter);
		break;
	}
	if (p != r->region)
		return p == MAP_FAILED ? -errno : -EEXIST;
	return no_huge_pages(r->region, len);
}

/* The part of [start, end) that [region, region + len) covers. */
static void intersect(const struct race *r, uint64_t start, uint64_t end,
		      uint64_t *hint_start, uint64_t *hint_end)
{
	uint64_t lo = umn_addr(r->region), hi = lo + r->len;

	*hint_start = start > lo ? start : lo;
	*hint_end = end < hi ? end : hi;
}

/* The registered range of a cookie of the test file. */
static void range_of(const struct race *r, uint64_t cookie, uint64_t *start, uint64_t *end)
{
	*start = cookie == COOKIE_WHOLE ? umn_addr(r->region) : umn_addr(r->last);
	*end = umn_addr(r->region) + r->len + r->pg;
}

/*
 * Asserts that @ev is the single-hit event of @cookie for an invalidation
 * of the whole region: FLAG_HINT, the part of its range in the region.
 */
static void expect_region_event(struct __test_metadata *_metadata, const struct race *r,
				const struct ummunotify_event *ev, uint64_t cookie)
{
	uint64_t start, end, hint_start, hint_end;

	range_of(r, cookie, &start, &end);
	intersect(r, start, end, &hint_start, &hint_end);
	ASSERT_EQ(UMMUNOTIFY_EVENT_TYPE_INVAL, ev->type);
	ASSERT_EQ(cookie, ev->user_cookie_counter);
	ASSERT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, ev->flags);
	ASSERT_EQ(hint_start, ev->hint_start);
	ASSERT_EQ(hint_end, ev->hint_end);
}

/* Tallies of a test's rounds, for its last log line. */
struct tally {
	unsigned int rounds, caught, early, read_late, again;
	char summary[240];
};

/*
 * The oracle of a READ_IN_WINDOW round, after the invalidating call
 * returned (with @counter_on_return) and the reader's record is complete.
 * The test file has COOKIE_WHOLE and COOKIE_LAST on the region and
 * COOKIE_FAR elsewhere; the reader read one event, of R; the other, Q,
 * stayed queued (with a ring: R's entry was consumed, Q's was not).  Then,
 * with or without the feature:
 * - Q is delivered once, with the hint of its single hit (the end does not
 *   touch a registration whose event is queued); COOKIE_FAR never;
 * - R is delivered again at most once; in a round that caught the window,
 *   exactly once with the feature (hint: the part of R it invalidated) and
 *   never without it (the 2010 behaviour);
 * - the counter moved once at the start and once more for R's second
 *   event, if any, before the call returned; fdinfo's reported_at_end grew
 *   by one exactly when R came again, and stays 0 without the feature.
 */
static void check_read_round(struct __test_metadata *_metadata, struct race *r,
			     bool at_end, uint64_t c0, long long at_end0,
			     uint64_t counter_on_return, struct tally *t)
{
	struct umn_drain *d = &umn_scratch;
	const struct ummunotify_event *q_ev, *r_ev;
	uint64_t read_cookie, other;
	unsigned int nq, nr, nfar;
	bool caught;
	int ret;

	ASSERT_EQ(UMN_EVENT_SIZE, r->nread) TH_LOG("the reader's read: %s",
						   strerror(r->read_err));
	read_cookie = r->ev.user_cookie_counter;
	ASSERT_TRUE(read_cookie == COOKIE_WHOLE || read_cookie == COOKIE_LAST)
		TH_LOG("the reader read cookie %" PRIu64, read_cookie);
	expect_region_event(_metadata, r, &r->ev, read_cookie);
	other = read_cookie == COOKIE_WHOLE ? COOKIE_LAST : COOKIE_WHOLE;
	ASSERT_NE(SAW_OTHER, r->seen) TH_LOG("the probe read neither the old page nor a new one");
	caught = r->seen == SAW_OLD && !r->early;

	ret = drain_test_file(r, d);
	ASSERT_EQ(0, ret) TH_LOG("drain: %s %s", strerror(-ret), d->why);
	q_ev = umn_find(d, other, &nq);
	r_ev = umn_find(d, read_cookie, &nr);
	umn_find(d, COOKIE_FAR, &nfar);
	ASSERT_EQ(0, nfar);
	ASSERT_EQ(nq + nr, d->ninval);
	ASSERT_LE(nr, 1);
	ASSERT_EQ(counter_on_return, counter_now(r->counter));
	ASSERT_EQ(counter_on_return, d->last_counter);
	if (r->early) {
		/* Not our invalidation's event: only the loose checks. */
		t->early++;
		return;
	}
	ASSERT_EQ(1, nq);
	expect_region_event(_metadata, r, q_ev, other);
	ASSERT_EQ(c0 + 1 + nr, counter_on_return);
	ASSERT_EQ(at_end0 + nr, reported_at_end(r->fd));
	if (nr)
		expect_region_event(_metadata, r, r_ev, read_cookie);
	if (!at_end)
		ASSERT_EQ(0, nr)
			TH_LOG("cookie %" PRIu64 " reported at the end without the feature",
			       read_cookie);
	if (caught) {
		/* The end had not run when the reader saw the counter. */
		ASSERT_EQ(c0 + 1, r->counter_after_read);
		/* Read in progress (the probe saw the old page): again after? */
		if (at_end)
			ASSERT_EQ(1, nr)
				TH_LOG("cookie %" PRIu64 " read in progress, not reported again",
				       read_cookie);
		t->caught++;
	} else if (nr) {
		t->read_late++;	/* read in the window, probed after it */
	}
	t->again += nr;
}

/*
 * The oracle of a REGISTER_IN_WINDOW round.  The reader, woken by the
 * detector's event (so after invalidate_range_start), registered
 * COOKIE_NEW(round) on the last page and read the test file without
 * blocking.  REGISTER in the window queued an event (the in-progress
 * check) and moved the counter; the reader read it; with the feature, a
 * round that caught the window (old page after that read) has it again,
 * and the counter moved once more, when the call returned.
 */
static void check_register_round(struct __test_metadata *_metadata, struct race *r,
				 unsigned int round, uint64_t c0, long long at_end0,
				 uint64_t counter_on_return, struct tally *t)
{
	struct umn_drain *d = &umn_scratch;
	const struct ummunotify_event *again;
	uint64_t cookie = COOKIE_NEW(round), hs, he;
	unsigned int n, nfar;
	bool in_window;
	int ret;

	ASSERT_LT(0, r->nwake) TH_LOG("the detector's read failed");
	ASSERT_EQ(0, r->register_err) TH_LOG("REGISTER: %s", strerror(-r->register_err));
	ASSERT_NE(SAW_OTHER, r->seen) TH_LOG("the probe read neither the old page nor a new one");
	in_window = r->nread == UMN_EVENT_SIZE;
	if (!in_window) {
		ASSERT_EQ(EAGAIN, r->read_err);
		/*
		 * Old page after REGISTER: it was in the window, and got
		 * nothing (or the test file's invalidate_range_start ran
		 * after the detector's: see play()).
		 */
		ASSERT_NE(SAW_OLD, r->seen) TH_LOG("REGISTER in progress queued no event");
	} else {
		intersect(r, umn_addr(r->last), umn_addr(r->last) + 2 * r->pg, &hs, &he);
		ASSERT_EQ(cookie, r->ev.user_cookie_counter);
		ASSERT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, r->ev.flags);
		ASSERT_EQ(hs, r->ev.hint_start);
		ASSERT_EQ(he, r->ev.hint_end);
	}

	ret = drain_test_file(r, d);
	ASSERT_EQ(0, ret) TH_LOG("drain: %s %s", strerror(-ret), d->why);
	again = umn_find(d, cookie, &n);
	umn_find(d, COOKIE_FAR, &nfar);
	ASSERT_EQ(0, nfar);
	ASSERT_EQ(n, d->ninval);
	ASSERT_LE(n, in_window ? 1 : 0);
	ASSERT_EQ(counter_on_return, counter_now(r->counter));
	if (r->early) {
		t->early++;
		return;
	}
	ASSERT_EQ(c0 + in_window + n, counter_on_return);
	ASSERT_EQ(at_end0 + n, reported_at_end(r->fd));
	if (n) {
		ASSERT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, again->flags);
		ASSERT_EQ(hs, again->hint_start);
		ASSERT_EQ(he, again->hint_end);
	}
	if (in_window && r->seen == SAW_OLD) {
		ASSERT_EQ(1, n)
			TH_LOG("cookie %" PRIu64 " registered and read in progress: not again",
			       cookie);
		t->caught++;
	} else if (n) {
		t->read_late++;
	}
	t->again += n;
}

/*
 * Plays up to MAX_ROUNDS rounds of @kind on a test file with @features,
 * until want_caught of them caught the window; every round is checked.
 */
static void play(struct __test_metadata *_metadata, struct race *r, enum invalidation by,
		 enum round_kind kind, __u32 features, struct tally *t)
{
	static const char * const name[] = { "madvise(MADV_DONTNEED)", "munmap + mmap",
					     "mmap(MAP_FIXED)" };
	struct umn_drain *d = &umn_scratch;
	uint64_t c0, counter_on_return = 0;
	unsigned int round, registrations;
	long long at_end0;
	pthread_t reader;
	int ret;

	memset(t, 0, sizeof(*t));
	r->kind = kind;
	if (kind == REGISTER_IN_WINDOW) {
		/*
		 * Opened before the test file: the mm calls the notifier of
		 * the newest file first (mmu_notifier_register() adds at the
		 * head of its list, invalidate_range_start walks it from
		 * there), so when the detector's event wakes the reader the
		 * test file's invalidate_range_start has run.
		 */
		r->detector = umn_open(0);
		ASSERT_LE(0, r->detector);
		ASSERT_EQ(0, umn_register_ptr(r->detector, r->region, r->len, 1));
	}
	r->fd = open_with(features);
	ASSERT_LE(0, r->fd) TH_LOG("open with features %#x: %s", features, strerror(-r->fd));
	if (features & UMMUNOTIFY_FEATURE_EVENT_RING) {
		ret = make_ring(r);
		ASSERT_EQ(0, ret) TH_LOG("the event ring: %s", strerror(-ret));
	}
	r->counter = map_counter(r->fd);
	ASSERT_NE(NULL, r->counter);
	ASSERT_EQ(0, reported_at_end(r->fd)) TH_LOG("fdinfo has no reported_at_end line");
	ASSERT_EQ(0, umn_register_ptr(r->fd, r->far, r->pg, COOKIE_FAR));
	if (kind == REGISTER_IN_WINDOW) {
		ASSERT_EQ(0, set_nonblock(r->fd, true));
		registrations = 1;
	} else {
		ASSERT_EQ(0, umn_register(r->fd, umn_addr(r->region),
					  umn_addr(r->region) + r->len + r->pg,
					  COOKIE_WHOLE));
		ASSERT_EQ(0, umn_register(r->fd, umn_addr(r->last),
					  umn_addr(r->region) + r->len + r->pg,
					  COOKIE_LAST));
		registrations = 3;
	}
	ASSERT_EQ(0, pthread_create(&reader, NULL, reader_main, r));

	for (round = 1; round <= MAX_ROUNDS && t->caught < want_caught; round++) {
		ret = populate(r, PATTERN(round));
		ASSERT_EQ(0, ret) TH_LOG("populate: %s", strerror(-ret));
		/* The populating (a copy of a probed zero page) may have been reported. */
		ASSERT_EQ(0, drain_test_file(r, d)) TH_LOG("%s", d->why);
		if (r->detector >= 0)
			ASSERT_EQ(0, drain_now(r->detector, d)) TH_LOG("%s", d->why);
		ASSERT_EQ(registrations, umn_registrations(r->fd));
		c0 = counter_now(r->counter);
		at_end0 = reported_at_end(r->fd);

		ASSERT_TRUE(start_round(r, round))
			TH_LOG("round %u: the reader never slept in read()", round);
		ret = invalidate(r, by, &counter_on_return);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", name[by], strerror(-ret));
		/* The test file watches the region from the start of READ rounds. */
		if (kind == READ_IN_WINDOW)
			ASSERT_LT(c0, counter_on_return)
				TH_LOG("%s returned before the counter moved", name[by]);
		finish_round(r, round);

		if (kind == READ_IN_WINDOW)
			check_read_round(_metadata, r, features & UMMUNOTIFY_FEATURE_REPORT_AT_END,
					 c0, at_end0, counter_on_return, t);
		else
			check_register_round(_metadata, r, round, c0, at_end0, counter_on_return,
					     t);
		if (kind == REGISTER_IN_WINDOW)
			ASSERT_EQ(0, umn_unregister(r->fd, COOKIE_NEW(round)));
		t->rounds = round;
	}
	stop_reader(r, reader);
	if (!(features & UMMUNOTIFY_FEATURE_REPORT_AT_END))
		ASSERT_EQ(0, reported_at_end(r->fd));
	snprintf(t->summary, sizeof(t->summary),
		 "%s, %s probe%s: %u rounds, %u caught the window, %u read in it but probed after, %u reported again at the end, %u woken early",
		 name[by], r->probe == PROBE_PROC_MEM ? "/proc/self/mem" : "vmsplice",
		 r->ring ? ", ring" : "",
		 t->rounds, t->caught, t->read_late, t->again, t->early);
	TH_LOG("%s", t->summary);
}

/* A test whose rounds never caught the window proved nothing: it is skipped. */
TEST_F_TIMEOUT(inprogress, event_read_in_progress_is_reported_again_at_end, HANG_TIMEOUT)
{
	struct tally t;

	play(_metadata, &self->r, variant->how, READ_IN_WINDOW,
	     UMMUNOTIFY_FEATURE_REPORT_AT_END, &t);
	if (!t.caught)
		SKIP(return, "%s: the window was never caught: %s", _metadata->name, t.summary);
}

TEST_F_TIMEOUT(inprogress, without_feature_event_read_in_progress_is_not_reported_again,
	       HANG_TIMEOUT)
{
	struct tally t;

	play(_metadata, &self->r, variant->how, READ_IN_WINDOW, 0, &t);
	if (!t.caught)
		SKIP(return, "%s: the window was never caught: %s", _metadata->name, t.summary);
}

TEST_F_TIMEOUT(inprogress, registration_made_and_read_in_progress_is_reported_again_at_end,
	       HANG_TIMEOUT)
{
	struct tally t;

	play(_metadata, &self->r, variant->how, REGISTER_IN_WINDOW,
	     UMMUNOTIFY_FEATURE_REPORT_AT_END, &t);
	if (!t.caught)
		SKIP(return, "%s: the window was never caught: %s", _metadata->name, t.summary);
}

/* The same with an event ring: entries consumed instead of events read. */
TEST_F_TIMEOUT(inprogress, ring_entry_consumed_in_progress_is_written_again_at_end, HANG_TIMEOUT)
{
	struct tally t;

	play(_metadata, &self->r, variant->how, READ_IN_WINDOW,
	     UMMUNOTIFY_FEATURE_EVENT_RING | UMMUNOTIFY_FEATURE_REPORT_AT_END, &t);
	if (!t.caught)
		SKIP(return, "%s: the window was never caught: %s", _metadata->name, t.summary);
}

TEST_F_TIMEOUT(inprogress, without_feature_ring_entry_consumed_in_progress_is_not_written_again,
	       HANG_TIMEOUT)
{
	struct tally t;

	play(_metadata, &self->r, variant->how, READ_IN_WINDOW, UMMUNOTIFY_FEATURE_EVENT_RING, &t);
	if (!t.caught)
		SKIP(return, "%s: the window was never caught: %s", _metadata->name, t.summary);
}

TEST_F_TIMEOUT(inprogress, registration_made_and_consumed_in_progress_is_written_again_at_end,
	       HANG_TIMEOUT)
{
	struct tally t;

	play(_metadata, &self->r, variant->how, REGISTER_IN_WINDOW,
	     UMMUNOTIFY_FEATURE_EVENT_RING | UMMUNOTIFY_FEATURE_REPORT_AT_END, &t);
	if (!t.caught)
		SKIP(return, "%s: the window was never caught: %s", _metadata->name, t.summary);
}

/*
 * Deterministic rules of the feature, one thread: what its end does not do.
 */
FIXTURE(at_end) {
	int fd;
	const uint64_t *counter;
	size_t pg;
};

FIXTURE_SETUP(at_end)
{
	self->pg = umn_page_size();
	self->fd = -1;
}

FIXTURE_TEARDOWN(at_end)
{
	close(self->fd);
}

/* Opens a non-blocking file agreeing on @features and maps its counter. */
static int open_at_end(struct __test_metadata *_metadata, __u32 features,
		       const uint64_t **counter)
{
	int fd = open_with(features);

	ASSERT_LE(0, fd) TH_LOG("open with features %#x: %s", features, strerror(-fd));
	ASSERT_EQ(0, set_nonblock(fd, true));
	*counter = map_counter(fd);
	ASSERT_NE(NULL, *counter);
	return fd;
}

TEST_F(at_end, invalidation_whose_event_is_still_queued_at_its_end_is_reported_once)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(4);

	ASSERT_NE(NULL, p);
	self->fd = open_at_end(_metadata, UMMUNOTIFY_FEATURE_REPORT_AT_END, &self->counter);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 4 * pg, 1));
	ASSERT_EQ(0, madvise(p + pg, 2 * pg, MADV_DONTNEED));
	ASSERT_EQ(1, counter_now(self->counter));
	ASSERT_EQ(0, reported_at_end(self->fd));
	/* Still the single-hit hint: the end did not queue it again. */
	umn_expect_single_event(self->fd, 1, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p + pg), umn_addr(p + 3 * pg), 1);
	umn_expect_no_event(self->fd);
}

TEST_F(at_end, skipped_invalidation_is_never_reported_at_its_end)
{
	size_t pg = self->pg;
	char *p = umn_map_pages(4);
	long long filtered = -1;

	ASSERT_NE(NULL, p);
	self->fd = open_at_end(_metadata, UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES |
			       UMMUNOTIFY_FEATURE_REPORT_AT_END, &self->counter);
	/* No event queued: an end that reported it would queue one. */
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, 4 * pg, 1));
	ASSERT_EQ(0, mprotect(p, 4 * pg, PROT_READ));
	ASSERT_EQ(0, mprotect(p, 4 * pg, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, counter_now(self->counter));
	umn_expect_no_event(self->fd);
	ASSERT_EQ(0, reported_at_end(self->fd));
	ASSERT_EQ(0, umn_fdinfo_value(self->fd, "invalidations_filtered", &filtered));
	ASSERT_EQ(2, filtered);
}

/* The harness's main, renamed so that ours can read the environment first. */
#define main harness_main
TEST_HARNESS_MAIN
#undef main

int main(int argc, char **argv)
{
	const char *env = getenv("UMN_INPROGRESS_CAUGHT");
	char *end;
	long v;

	if (env && *env) {
		v = strtol(env, &end, 10);
		if (*end || v < 1 || v > MAX_ROUNDS) {
			fprintf(stderr, "UMN_INPROGRESS_CAUGHT=%s: expected 1..%d\n", env,
				MAX_ROUNDS);
			return 2;
		}
		want_caught = v;
	}
	return harness_main(argc, argv);
}
