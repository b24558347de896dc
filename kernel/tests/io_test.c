// SPDX-License-Identifier: GPL-2.0
/*
 * read() and readiness of /dev/ummunotify: whole events only, a LAST event
 * when the queue empties and there is room, reads larger than a page, a
 * faulting buffer that loses nothing, EAGAIN/blocking/EINTR, and the
 * notifications: poll(), select(), epoll and SIGIO.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "kselftest_harness.h"
#include "umn_test.h"

FIXTURE(io) {
	int fd;
	const uint64_t *counter;
	size_t pg;
};

FIXTURE_SETUP(io)
{
	self->pg = umn_page_size();
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
	self->counter = umn_map_counter(self->fd);
	ASSERT_NE(NULL, self->counter) TH_LOG("mmap counter: %s", strerror(errno));
}

FIXTURE_TEARDOWN(io)
{
	close(self->fd);
}

/*
 * Queues @n events with one munmap(): @n watched pages, cookies 1..@n in
 * address order; the counter moves to 1.
 */
static void queue_events(struct __test_metadata *_metadata, int fd, size_t n)
{
	size_t pg = umn_page_size(), i;
	char *p = umn_map_isolated(n, 0);
	struct umn_fdinfo info;

	ASSERT_NE(NULL, p);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, umn_register_ptr(fd, p + i * pg, pg, i + 1))
			TH_LOG("cookie %zu", i + 1);
	}
	ASSERT_EQ(0, munmap(p, n * pg));
	ASSERT_EQ(0, umn_read_fdinfo(fd, &info));
	ASSERT_EQ(n, info.queued);
	ASSERT_EQ(1, info.counter);
}

/*
 * Checks that @ev[0..@n) are INVAL events whose cookies, together with
 * those already in @seen (indexed by cookie), are 1..@total at most once.
 */
static void mark_cookies(struct __test_metadata *_metadata,
			 const struct ummunotify_event *ev, size_t n,
			 bool *seen, size_t total)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t cookie = ev[i].user_cookie_counter;

		ASSERT_EQ(UMMUNOTIFY_EVENT_TYPE_INVAL, ev[i].type);
		ASSERT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, ev[i].flags);
		ASSERT_TRUE(cookie >= 1 && cookie <= total) TH_LOG("cookie %" PRIu64, cookie);
		ASSERT_FALSE(seen[cookie]) TH_LOG("cookie %" PRIu64 " twice", cookie);
		seen[cookie] = true;
	}
}

/* A buffer whose last @room bytes before an inaccessible page are usable. */
static char *buffer_before_hole(struct __test_metadata *_metadata, size_t room)
{
	size_t pg = umn_page_size();
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_NONE));
	return p + pg - room;
}

TEST_F(io, read_smaller_than_one_event_is_einval_and_loses_nothing)
{
	struct ummunotify_event ev;

	queue_events(_metadata, self->fd, 2);
	EXPECT_EQ(-EINVAL, umn_read_nb(self->fd, &ev, UMN_EVENT_SIZE - 1));
	EXPECT_EQ(-EINVAL, umn_read_nb(self->fd, &ev, 1));
	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	EXPECT_EQ(2, umn_scratch.ninval);
	EXPECT_EQ(1, umn_scratch.last_counter);
}

TEST_F(io, read_returns_only_whole_events_that_fit)
{
	struct ummunotify_event ev[4];

	queue_events(_metadata, self->fd, 3);
	ASSERT_EQ(2 * UMN_EVENT_SIZE,
		  umn_read_nb(self->fd, ev, 2 * UMN_EVENT_SIZE + UMN_EVENT_SIZE / 2));
	EXPECT_EQ(1, ev[0].user_cookie_counter);
	EXPECT_EQ(2, ev[1].user_cookie_counter);
	ASSERT_EQ(2 * UMN_EVENT_SIZE, umn_read_nb(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_INVAL, ev[0].type);
	EXPECT_EQ(3, ev[0].user_cookie_counter);
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_LAST, ev[1].type);
	EXPECT_EQ(1, ev[1].user_cookie_counter);
	umn_expect_no_event(self->fd);
}

TEST_F(io, read_without_room_for_last_delivers_it_next)
{
	struct ummunotify_event ev[4];
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLRDNORM };

	queue_events(_metadata, self->fd, 2);
	ASSERT_EQ(2 * UMN_EVENT_SIZE, umn_read_nb(self->fd, ev, 2 * UMN_EVENT_SIZE));
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_INVAL, ev[1].type);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(UMN_EVENT_SIZE, umn_read_nb(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_LAST, ev[0].type);
	EXPECT_EQ(1, ev[0].user_cookie_counter);
	umn_expect_no_event(self->fd);
}

TEST_F(io, one_read_returns_more_than_a_page_of_events)
{
	const size_t n = 1000;
	size_t len = 1 << 20;
	struct ummunotify_event *ev = malloc(len);
	bool *seen = calloc(n + 1, sizeof(*seen));

	ASSERT_NE(NULL, ev);
	ASSERT_NE(NULL, seen);
	queue_events(_metadata, self->fd, n);
	ASSERT_EQ((n + 1) * UMN_EVENT_SIZE, umn_read_nb(self->fd, ev, len));
	mark_cookies(_metadata, ev, n, seen, n);
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_LAST, ev[n].type);
	EXPECT_EQ(1, ev[n].user_cookie_counter);
	free(ev);
	free(seen);
}

TEST_F(io, read_fault_after_some_events_returns_them_and_keeps_the_rest)
{
	const size_t n = 8;
	bool seen[9] = { false };
	char *buf = buffer_before_hole(_metadata, 3 * UMN_EVENT_SIZE);
	struct umn_fdinfo info;

	queue_events(_metadata, self->fd, n);
	ASSERT_EQ(3 * UMN_EVENT_SIZE, umn_read_nb(self->fd, buf, 10 * UMN_EVENT_SIZE));
	mark_cookies(_metadata, (struct ummunotify_event *)buf, 3, seen, n);
	ASSERT_EQ(0, umn_read_fdinfo(self->fd, &info));
	EXPECT_EQ(n - 3, info.queued);

	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	ASSERT_EQ(n - 3, umn_scratch.ninval);
	mark_cookies(_metadata, umn_scratch.inval, n - 3, seen, n);
	EXPECT_EQ(1, umn_scratch.last_counter);
}

TEST_F(io, read_fault_on_first_event_is_efault_and_loses_nothing)
{
	char *hole = buffer_before_hole(_metadata, 0);
	void *null = NULL;

	/* Hidden from the compiler, which refuses read() into NULL: OPTIMIZER_HIDE_VAR(). */
	__asm__("" : "+r" (null));
	queue_events(_metadata, self->fd, 4);
	EXPECT_EQ(-EFAULT, umn_read_nb(self->fd, hole, self->pg));
	EXPECT_EQ(-EFAULT, umn_read_nb(self->fd, null, 4 * UMN_EVENT_SIZE));
	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch)) TH_LOG("%s", umn_scratch.why);
	EXPECT_EQ(4, umn_scratch.ninval);
	/* Put back in their order, hints kept. */
	EXPECT_EQ(1, umn_scratch.inval[0].user_cookie_counter);
	EXPECT_EQ(4, umn_scratch.inval[3].user_cookie_counter);
	EXPECT_EQ(UMMUNOTIFY_EVENT_FLAG_HINT, umn_scratch.inval[0].flags);
	EXPECT_EQ(1, umn_scratch.last_counter);
}

TEST_F(io, read_fault_on_last_event_keeps_it_pending)
{
	char *buf = buffer_before_hole(_metadata, 2 * UMN_EVENT_SIZE);
	struct ummunotify_event ev[4];
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLRDNORM };

	queue_events(_metadata, self->fd, 2);
	ASSERT_EQ(2 * UMN_EVENT_SIZE, umn_read_nb(self->fd, buf, 4 * UMN_EVENT_SIZE));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(UMN_EVENT_SIZE, umn_read_nb(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_LAST, ev[0].type);
	EXPECT_EQ(1, ev[0].user_cookie_counter);
	umn_expect_no_event(self->fd);
}

TEST_F(io, nonblocking_read_without_event_is_eagain)
{
	int fd = umn_open(0);
	struct ummunotify_event ev;

	umn_expect_no_event(self->fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, umn_read_nb(fd, &ev, sizeof(ev)));
	close(fd);
}

TEST_F(io, drained_file_is_not_readable)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLRDNORM };

	EXPECT_EQ(0, poll(&pfd, 1, 0));
	queue_events(_metadata, self->fd, 1);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLRDNORM, pfd.revents);
	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	umn_expect_no_event(self->fd);
}

/* A thread that blocks in read() or poll() on a file. */
struct blocker {
	int fd;
	bool use_poll;
	pid_t tid;
	int started;		/* __atomic: set by the thread before it blocks */
	int finished;		/* __atomic: set by the thread when it returned */
	ssize_t ret;
	int err;
	short revents;
	struct ummunotify_event ev[8];
};

static void *blocker_main(void *arg)
{
	struct blocker *b = arg;
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN | POLLRDNORM };

	b->tid = gettid();
	__atomic_store_n(&b->started, 1, __ATOMIC_SEQ_CST);
	if (b->use_poll) {
		b->ret = poll(&pfd, 1, -1);
		b->revents = pfd.revents;
	} else {
		b->ret = read(b->fd, b->ev, sizeof(b->ev));
	}
	b->err = errno;
	__atomic_store_n(&b->finished, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Waits (10 s at most) until thread @tid sleeps ('S' in its stat). */
static bool wait_until_sleeping(pid_t tid)
{
	char path[64], stat[512], *paren;
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	for (i = 0; i < 10000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		if (n > 0) {
			stat[n] = 0;
			paren = strrchr(stat, ')');
			if (paren && paren[1] == ' ' && paren[2] == 'S')
				return true;
		}
		usleep(1000);
	}
	return false;
}

static void start_blocker(struct __test_metadata *_metadata, struct blocker *b,
			  pthread_t *thread)
{
	ASSERT_EQ(0, pthread_create(thread, NULL, blocker_main, b));
	while (!__atomic_load_n(&b->started, __ATOMIC_SEQ_CST))
		usleep(100);
	ASSERT_TRUE(wait_until_sleeping(b->tid)) TH_LOG("the thread never slept");
	ASSERT_FALSE(__atomic_load_n(&b->finished, __ATOMIC_SEQ_CST))
		TH_LOG("returned without an event: %zd (%s)", b->ret, strerror(b->err));
}

TEST_F(io, blocking_read_sleeps_until_munmap_in_other_thread)
{
	struct blocker b = { .fd = umn_open(0) };
	char *p = umn_map_pages(1);
	pthread_t thread;

	ASSERT_LE(0, b.fd);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(b.fd, p, self->pg, 3));
	start_blocker(_metadata, &b, &thread);
	usleep(50000);
	ASSERT_FALSE(__atomic_load_n(&b.finished, __ATOMIC_SEQ_CST));

	ASSERT_EQ(0, munmap(p, self->pg));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(2 * UMN_EVENT_SIZE, b.ret) TH_LOG("read: %s", strerror(b.err));
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_INVAL, b.ev[0].type);
	EXPECT_EQ(3, b.ev[0].user_cookie_counter);
	EXPECT_EQ(UMMUNOTIFY_EVENT_TYPE_LAST, b.ev[1].type);
	EXPECT_EQ(1, b.ev[1].user_cookie_counter);
	close(b.fd);
}

static unsigned int count_finished(struct blocker *b, unsigned int n)
{
	unsigned int i, done = 0;

	for (i = 0; i < n; i++)
		done += __atomic_load_n(&b[i].finished, __ATOMIC_SEQ_CST);
	return done;
}

#define READERS 4

TEST_F(io, each_event_wakes_one_blocked_reader_and_the_others_sleep_on)
{
	int fd = umn_open(0);
	struct blocker b[READERS];
	pthread_t thread[READERS];
	char *p = umn_map_pages(READERS);
	bool seen[READERS + 1] = { false };
	unsigned int i, k, done;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, p);
	memset(b, 0, sizeof(b));
	for (i = 0; i < READERS; i++) {
		ASSERT_EQ(0, umn_register_ptr(fd, p + i * self->pg, self->pg, i + 1));
		b[i].fd = fd;
		start_blocker(_metadata, &b[i], &thread[i]);
	}

	/* Each event goes to one reader; the others must not return empty. */
	for (k = 1; k <= READERS; k++) {
		ASSERT_EQ(0, munmap(p + (k - 1) * self->pg, self->pg));
		for (i = 0; i < 10000 && count_finished(b, READERS) < k; i++)
			usleep(1000);
		usleep(50000);
		done = count_finished(b, READERS);
		ASSERT_EQ(k, done) TH_LOG("%u readers returned after %u events", done, k);
	}
	for (i = 0; i < READERS; i++) {
		ASSERT_EQ(0, pthread_join(thread[i], NULL));
		ASSERT_EQ(2 * UMN_EVENT_SIZE, b[i].ret) TH_LOG("read: %s", strerror(b[i].err));
		ASSERT_EQ(UMMUNOTIFY_EVENT_TYPE_INVAL, b[i].ev[0].type);
		ASSERT_EQ(UMMUNOTIFY_EVENT_TYPE_LAST, b[i].ev[1].type);
		k = b[i].ev[0].user_cookie_counter;
		ASSERT_TRUE(k >= 1 && k <= READERS && !seen[k]);
		seen[k] = true;
		EXPECT_EQ(k, b[i].ev[1].user_cookie_counter);
	}
	close(fd);
}

/* A thread reading a non-blocking file in a loop with a small buffer. */
struct nibbler {
	int fd;
	int stop;		/* __atomic: set by the test to end the loop */
	unsigned int reads;	/* __atomic, relaxed: reads made (progress only) */
	unsigned int zero_reads;
	unsigned int n;
	struct ummunotify_event got[20001];
	int err;
};

static void *nibbler_main(void *arg)
{
	struct nibbler *nb = arg;
	struct ummunotify_event ev[4];
	ssize_t ret, i;

	while (!__atomic_load_n(&nb->stop, __ATOMIC_SEQ_CST)) {
		ret = read(nb->fd, ev, sizeof(ev));
		__atomic_fetch_add(&nb->reads, 1, __ATOMIC_RELAXED);
		if (ret == 0) {
			nb->zero_reads++;
		} else if (ret < 0 && errno != EAGAIN) {
			nb->err = errno;
			break;
		}
		for (i = 0; ret > 0 && i < ret / (ssize_t)UMN_EVENT_SIZE; i++)
			if (nb->n < ARRAY_SIZE(nb->got))
				nb->got[nb->n++] = ev[i];
	}
	return NULL;
}

/*
 * A reader copying many events holds the file for a while; a second
 * reader that found events meanwhile waits, and when its turn comes there
 * may be nothing left: it must then answer EAGAIN, never a 0-byte read
 * (end of file).  Together they must get every event once, and one LAST.
 */
TEST_F_TIMEOUT(io, concurrent_readers_share_events_once_and_never_read_zero_bytes, 300)
{
	const unsigned int rounds = 10, n = 20000, span = 64;
	size_t pg = self->pg, big = 1 << 20, npages = (n * span + pg - 1) / pg;
	static struct nibbler nb;
	struct ummunotify_event *buf = malloc(big);
	bool *seen = calloc(n + 1, sizeof(*seen));
	unsigned int r, i, lasts;
	pthread_t thread;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, seen);
	for (r = 0; r < rounds; r++) {
		char *p = umn_map_isolated(npages, 0);
		size_t mine = 0;
		ssize_t ret;

		ASSERT_NE(NULL, p);
		for (i = 0; i < n; i++) {
			ASSERT_EQ(0, umn_register(self->fd, umn_addr(p) + i * span,
						  umn_addr(p) + (i + 1) * span, i + 1));
		}

		/* The nibbler reads in a loop before the events arrive. */
		memset(&nb, 0, sizeof(nb));
		nb.fd = self->fd;
		ASSERT_EQ(0, pthread_create(&thread, NULL, nibbler_main, &nb));
		while (__atomic_load_n(&nb.reads, __ATOMIC_RELAXED) < 10)
			usleep(100);
		ASSERT_EQ(0, munmap(p, npages * pg));
		ret = read(self->fd, buf, big);
		ASSERT_TRUE(ret > 0 || (ret < 0 && errno == EAGAIN))
			TH_LOG("round %u: read returned %zd (%s)", r, ret, strerror(errno));
		if (ret > 0)
			mine = ret / UMN_EVENT_SIZE;
		/* Let the nibbler drain what is left, then stop it. */
		while (poll(&(struct pollfd){ .fd = self->fd, .events = POLLIN }, 1, 0) == 1)
			usleep(1000);
		__atomic_store_n(&nb.stop, 1, __ATOMIC_SEQ_CST);
		ASSERT_EQ(0, pthread_join(thread, NULL));
		ASSERT_EQ(0, nb.err) TH_LOG("nibbler: %s", strerror(nb.err));
		ASSERT_EQ(0, nb.zero_reads) TH_LOG("round %u: %u reads returned 0 bytes",
						   r, nb.zero_reads);

		memset(seen, 0, (n + 1) * sizeof(*seen));
		lasts = 0;
		for (i = 0; i < mine + nb.n; i++) {
			const struct ummunotify_event *ev = i < mine ? &buf[i] : &nb.got[i - mine];
			uint64_t cookie = ev->user_cookie_counter;

			if (ev->type == UMMUNOTIFY_EVENT_TYPE_LAST) {
				lasts++;
				EXPECT_EQ(r + 1, cookie);
				continue;
			}
			ASSERT_TRUE(cookie >= 1 && cookie <= n) TH_LOG("cookie %" PRIu64, cookie);
			ASSERT_FALSE(seen[cookie]) TH_LOG("cookie %" PRIu64 " twice", cookie);
			seen[cookie] = true;
		}
		for (i = 1; i <= n; i++) {
			ASSERT_TRUE(seen[i])
				TH_LOG("round %u: cookie %u lost (mine %zu, nibbled %u, lasts %u)",
				       r, i, mine, nb.n, lasts);
		}
		ASSERT_EQ(1, lasts);
		for (i = 0; i < n; i++) {
			ASSERT_EQ(0, umn_unregister(self->fd, i + 1))
				TH_LOG("round %u: cookie %u", r, i + 1);
		}
	}
	free(buf);
	free(seen);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

TEST_F(io, blocking_read_is_interrupted_by_signal)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	struct blocker b = { .fd = umn_open(0) };
	pthread_t thread;

	ASSERT_LE(0, b.fd);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	start_blocker(_metadata, &b, &thread);
	ASSERT_EQ(0, pthread_kill(thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-1, b.ret);
	EXPECT_EQ(EINTR, b.err);
	close(b.fd);
}

TEST_F(io, poll_reports_readable_only_while_something_is_pending)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLRDNORM };
	char *p = umn_map_pages(2);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, munmap(p + self->pg, self->pg));	/* unwatched */
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, munmap(p, self->pg));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLRDNORM, pfd.revents);
	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(io, poll_sleeping_thread_is_woken_by_munmap)
{
	struct blocker b = { .fd = self->fd, .use_poll = true };
	char *p = umn_map_pages(1);
	pthread_t thread;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));
	start_blocker(_metadata, &b, &thread);
	ASSERT_EQ(0, munmap(p, self->pg));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(1, b.ret);
	EXPECT_EQ(POLLIN | POLLRDNORM, b.revents);
}

TEST_F(io, select_reports_readable)
{
	struct timeval zero = { 0 };
	char *p = umn_map_pages(1);
	fd_set set;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));
	FD_ZERO(&set);
	FD_SET(self->fd, &set);
	EXPECT_EQ(0, select(self->fd + 1, &set, NULL, NULL, &zero));
	ASSERT_EQ(0, munmap(p, self->pg));
	FD_ZERO(&set);
	FD_SET(self->fd, &set);
	EXPECT_EQ(1, select(self->fd + 1, &set, NULL, NULL, &zero));
	EXPECT_TRUE(FD_ISSET(self->fd, &set));
}

TEST_F(io, epoll_reports_readable_until_drained)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	char *p = umn_map_pages(1);

	ASSERT_LE(0, ep);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, munmap(p, self->pg));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 0));
	EXPECT_EQ(7, out.data.u64);
	EXPECT_TRUE(out.events & EPOLLIN);
	/* Level-triggered: still readable until read. */
	EXPECT_EQ(1, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, umn_drain(self->fd, &umn_scratch));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
}

TEST_F(io, sigio_is_sent_when_an_event_is_recorded)
{
	struct timespec zero = { 0 };
	char *p = umn_map_pages(2);
	sigset_t set;
	siginfo_t info;

	ASSERT_NE(NULL, p);
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, fcntl(self->fd, F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fcntl(self->fd, F_GETFL) | O_ASYNC));
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));

	ASSERT_EQ(0, munmap(p + self->pg, self->pg));	/* unwatched */
	EXPECT_EQ(-1, sigtimedwait(&set, &info, &zero));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, munmap(p, self->pg));
	EXPECT_EQ(SIGIO, sigtimedwait(&set, &info, &zero));
}

TEST_HARNESS_MAIN
