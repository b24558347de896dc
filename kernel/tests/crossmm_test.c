// SPDX-License-Identifier: GPL-2.0
/*
 * A /dev/ummunotify file belongs to the address space that opened it: a
 * fork() child or a process that received the descriptor over a Unix socket
 * gets EPERM from ioctl(), read() and mmap(), while poll() only tells it
 * whether the opener has events queued; the child's own mapping
 * changes are not reported; other threads of the opener share the file;
 * when the opener exits while the file lives on, every registration is
 * reported once and the counter moves once.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "umn_test.h"

FIXTURE(crossmm) {
	int fd;
	size_t pg;
};

FIXTURE_SETUP(crossmm)
{
	self->pg = umn_page_size();
	self->fd = umn_open(O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", UMN_DEVICE, strerror(-self->fd));
}

FIXTURE_TEARDOWN(crossmm)
{
	close(self->fd);
}

/* What each call returned (0 or -errno) when made from another mm. */
struct foreign_results {
	int reg;
	int unreg;
	int exchange;
	int read;
	int mmap;
};

static struct foreign_results use_from_here(int fd)
{
	struct foreign_results r;
	struct ummunotify_event ev[2];
	__u32 features = 0;
	void *m;

	r.reg = umn_register(fd, 0x10000, 0x20000, 1000);
	r.unreg = umn_unregister(fd, 1);
	r.exchange = ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features) ? -errno : 0;
	r.read = read(fd, ev, sizeof(ev)) < 0 ? -errno : 0;
	m = mmap(NULL, umn_page_size(), PROT_READ, MAP_SHARED, fd, 0);
	r.mmap = m == MAP_FAILED ? -errno : 0;
	return r;
}

/* A macro, so that a failure names the test's line. */
#define EXPECT_ALL_EPERM(r) do {				\
	const struct foreign_results __results = (r);		\
								\
	EXPECT_EQ(-EPERM, __results.reg);			\
	EXPECT_EQ(-EPERM, __results.unreg);			\
	EXPECT_EQ(-EPERM, __results.exchange);			\
	EXPECT_EQ(-EPERM, __results.read);			\
	EXPECT_EQ(-EPERM, __results.mmap);			\
} while (0)

static int send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	memset(&control, 0, sizeof(control));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * Forks a process that opens the device, registers @nregs pages of a
 * PROT_NONE reservation (cookies 1..nregs) plus, as cookie 0, a page it
 * wrote to, and sends the descriptor over a socket.  If @linger, it then
 * waits until the socket closes; otherwise it exits at once.  Returns the
 * received descriptor; *@pid is the opener, *@sock the parent's socket end.
 */
static int spawn_opener(struct __test_metadata *_metadata, int nregs,
			bool linger, pid_t *pid, int *sock)
{
	int sv[2], fd;
	char byte;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	*pid = fork();
	ASSERT_LE(0, *pid);
	if (*pid == 0) {
		size_t pg = umn_page_size();
		char *area = mmap(NULL, nregs * pg, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *data = umn_map_pages(1);
		int i, ufd = umn_open(O_NONBLOCK);

		close(sv[0]);
		if (ufd < 0 || area == MAP_FAILED || !data)
			_exit(2);
		data[0] = 1;
		if (umn_register_ptr(ufd, data, pg, 0))
			_exit(3);
		for (i = 0; i < nregs; i++)
			if (umn_register_ptr(ufd, area + i * pg, pg, i + 1))
				_exit(3);
		if (send_fd(sv[1], ufd))
			_exit(4);
		if (linger)
			while (read(sv[1], &byte, 1) > 0)
				;
		_exit(0);
	}
	close(sv[1]);
	*sock = sv[0];
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd) TH_LOG("no descriptor from the opener");
	return fd;
}

static void reap(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("opener failed: status %#x", status);
}

TEST_F(crossmm, fork_child_gets_eperm_from_ioctl_read_and_mmap)
{
	/* Shared, so that fork() does not write-protect (and report) it. */
	char *p = mmap(NULL, self->pg, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct foreign_results r;
	int result_pipe[2], status;
	pid_t child;

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, umn_register_ptr(self->fd, p, self->pg, 1));
	ASSERT_EQ(0, pipe(result_pipe));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		r = use_from_here(self->fd);
		if (write(result_pipe[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(close(self->fd) ? 2 : 0);
	}
	ASSERT_EQ(sizeof(r), read(result_pipe[0], &r, sizeof(r)));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	EXPECT_ALL_EPERM(r);

	/* The child changed nothing: cookie 1 is still watched, alone. */
	EXPECT_EQ(1, umn_registrations(self->fd));
	ASSERT_EQ(0, munmap(p, self->pg));
	umn_expect_single_event(self->fd, 1, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(p), umn_addr(p + self->pg), 1);
}

TEST_F(crossmm, fd_received_from_live_process_is_eperm)
{
	struct umn_fdinfo info;
	struct foreign_results r;
	pid_t opener;
	int sock, fd;

	fd = spawn_opener(_metadata, 3, true, &opener, &sock);
	r = use_from_here(fd);
	EXPECT_ALL_EPERM(r);
	ASSERT_EQ(0, umn_read_fdinfo(fd, &info));
	EXPECT_EQ(4, info.registrations);
	EXPECT_EQ(0, info.queued);
	EXPECT_EQ(0, info.counter);
	close(sock);
	reap(_metadata, opener);
	EXPECT_EQ(0, close(fd));
}

TEST_F(crossmm, opener_exit_queues_every_registration)
{
	struct ummunotify_event ev[8];
	struct umn_fdinfo info;
	pid_t opener;
	int sock, fd;

	fd = spawn_opener(_metadata, 5, false, &opener, &sock);
	reap(_metadata, opener);
	close(sock);

	ASSERT_EQ(0, umn_read_fdinfo(fd, &info));
	EXPECT_EQ(6, info.registrations);
	EXPECT_EQ(info.registrations, info.queued);
	EXPECT_EQ(1, info.counter);
	/* Still another mm's file: nothing to read from here. */
	EXPECT_EQ(-1, read(fd, ev, sizeof(ev)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, close(fd));
}

/* The events poll() reports for @fd right now, or -errno. */
static int poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI | POLLOUT };
	int n = poll(&p, 1, 0);

	return n < 0 ? -errno : p.revents;
}

TEST_F(crossmm, poll_from_another_mm_reports_only_whether_events_are_queued)
{
	struct ummunotify_event ev;
	pid_t opener;
	int sock, fd;

	fd = spawn_opener(_metadata, 2, true, &opener, &sock);
	EXPECT_EQ(0, poll_now(fd));
	/* The opener's exit reports its three registrations. */
	close(sock);
	reap(_metadata, opener);
	EXPECT_EQ(POLLIN, poll_now(fd));
	EXPECT_EQ(-1, read(fd, &ev, sizeof(ev)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, close(fd));
}

TEST_F(crossmm, child_mm_invalidations_are_not_reported)
{
	char *shared = mmap(NULL, self->pg, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const uint64_t *counter = umn_map_counter(self->fd);
	pid_t child;
	int status;

	ASSERT_NE(MAP_FAILED, shared);
	ASSERT_NE(NULL, counter);
	shared[0] = 1;
	ASSERT_EQ(0, umn_register_ptr(self->fd, shared, self->pg, 1));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(munmap(shared, umn_page_size()) ? 1 : 0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, umn_counter(counter));
	umn_expect_no_event(self->fd);

	ASSERT_EQ(0, munmap(shared, self->pg));
	EXPECT_EQ(1, umn_counter(counter));
	umn_expect_single_event(self->fd, 1, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(shared), umn_addr(shared + self->pg), 1);
}

struct thread_job {
	int fd;
	char *page;
	size_t len;
	int reg, unmap;
};

static void *register_and_unmap(void *arg)
{
	struct thread_job *job = arg;

	job->reg = umn_register_ptr(job->fd, job->page, job->len, 5);
	job->unmap = munmap(job->page, job->len) ? -errno : 0;
	return NULL;
}

TEST_F(crossmm, other_thread_of_opener_shares_the_file)
{
	struct thread_job job = { .fd = self->fd, .len = self->pg };
	pthread_t thread;

	job.page = umn_map_pages(1);
	ASSERT_NE(NULL, job.page);
	ASSERT_EQ(0, pthread_create(&thread, NULL, register_and_unmap, &job));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, job.reg);
	ASSERT_EQ(0, job.unmap);
	umn_expect_single_event(self->fd, 5, UMMUNOTIFY_EVENT_FLAG_HINT,
				umn_addr(job.page), umn_addr(job.page + self->pg), 1);
}

TEST_HARNESS_MAIN
