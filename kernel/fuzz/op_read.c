// SPDX-License-Identifier: GPL-2.0
/*
 * read() in every shape: draining to LAST with big and small buffers,
 * buffers smaller than an event, bad and half-bad pointers, absurd
 * counts, blocking reads interrupted by a signal; poll/select/epoll.
 * Every event that comes back goes through the oracle (model.c); with an
 * event ring, a read() after the ring's OVERFLOW flag was seen set must
 * find events queued.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz.h"

static size_t read_buffer_size(void)
{
	return READ_BUF_PAGES * (size_t)P.page_size;
}

static bool set_nonblock(struct ufd *u, bool on)
{
	int flags = fcntl(u->fd, F_GETFL);

	if (!check(flags >= 0, "F_GETFL: %s", errname(errno)))
		return false;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return check_errno(fcntl(u->fd, F_SETFL, flags), 0, "F_SETFL O_NONBLOCK");
}

/*
 * read(2) on our own file @u into @buf, of which the first @writable bytes
 * may be written; what it returns is checked and fed to the oracle.
 * Returns read's result, errno intact.
 *
 * Only this thread takes events off the read() queue, so a ring's
 * OVERFLOW flag seen set before the read means that the read finds at
 * least one INVAL, first.  With a ring, poll() also reports the entries
 * not consumed, which read() does not return: so a read that poll() said
 * would not block may block, and is made non-blocking unless @block.
 */
static long read_checked(struct ufd *u, void *buf, size_t count, size_t writable, bool block,
			 const char *how)
{
	bool overflow = ring_flags_now(u) & UMMUNOTIFY_RING_OVERFLOW;
	bool toggle = ring_made(u) && !u->nonblock && !block;
	const struct ummunotify_event *ev = buf;
	uint64_t before = observe(u);
	long ret;
	int err;

	if (toggle && !set_nonblock(u, true))
		return -1;
	zap_read_begins();
	ret = read(u->fd, buf, count);
	err = errno;
	if (toggle)
		set_nonblock(u, false);
	if (ret >= 0) {
		check(ret > 0 && ret % EVENT_SIZE == 0 && (size_t)ret <= count,
		      "fd#%u: %s: read(%zu) returned %ld", u->id, how, count, ret);
		if (check((size_t)ret <= writable,
			  "fd#%u: %s: read returned %ld bytes, only %zu of the buffer are writable",
			  u->id, how, ret, writable)) {
			check(!overflow || ret < EVENT_SIZE ||
			      ev->type == UMMUNOTIFY_EVENT_TYPE_INVAL,
			      "fd#%u: %s: the ring's OVERFLOW flag was set, but read() began with a LAST",
			      u->id, how);
			consume_events(u, buf, ret - ret % EVENT_SIZE, before);
			zap_after_read(u, buf, ret - ret % EVENT_SIZE);
		}
	} else if (err == EAGAIN) {
		check(!overflow, "fd#%u: %s: EAGAIN although the ring's OVERFLOW flag was set",
		      u->id, how);
		check_not_readable(u, before, false, how);
		/* With a ring, what the zap's end wrote may wait there. */
		if (!ring_made(u))
			zap_check_owed(u, how);
	}
	mark_used(u, ret >= 0);
	errno = err;
	return ret;
}

/* Whether the last of the @ret bytes of events in @buf is a LAST. */
static bool ends_with_last(const void *buf, long ret)
{
	const struct ummunotify_event *ev = buf;

	return ret >= EVENT_SIZE && ev[ret / EVENT_SIZE - 1].type == UMMUNOTIFY_EVENT_TYPE_LAST;
}

/*
 * Asks poll(), select() or epoll whether @u is readable: 1 if it is, 0 if
 * not (the oracle then checks that nothing is owed), -1 if a signal
 * interrupted the question.
 */
static int poll_readable(struct ufd *u)
{
	uint64_t before = observe(u);
	struct epoll_event ev = { .events = EPOLLIN };
	struct timeval zero = { 0, 0 };
	struct pollfd p = { .fd = u->fd, .events = POLLIN | POLLPRI | POLLOUT };
	fd_set rfds, wfds;
	bool readable = false;
	int n, ep;

	zap_read_begins();
	switch (rng_below(&P.rng, 4)) {
	case 0:
		FD_ZERO(&rfds);
		FD_ZERO(&wfds);
		FD_SET(u->fd, &rfds);
		FD_SET(u->fd, &wfds);
		n = select(u->fd + 1, &rfds, &wfds, NULL, &zero);
		if (n < 0 && errno == EINTR)
			return -1;
		check(n >= 0, "select: %s", errname(errno));
		check(n <= 0 || !FD_ISSET(u->fd, &wfds), "fd#%u: select says writable", u->id);
		readable = n > 0 && FD_ISSET(u->fd, &rfds);
		break;
	case 1:
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (!check(ep >= 0, "epoll_create1: %s", errname(errno)))
			return -1;
		check_errno(epoll_ctl(ep, EPOLL_CTL_ADD, u->fd, &ev), 0, "EPOLL_CTL_ADD");
		n = epoll_wait(ep, &ev, 1, 0);
		if (n < 0 && errno == EINTR) {
			close(ep);
			return -1;
		}
		check(n >= 0, "epoll_wait: %s", errname(errno));
		readable = n == 1 && (ev.events & EPOLLIN);
		close(ep);
		break;
	default:
		n = poll(&p, 1, 0);
		if (n < 0 && errno == EINTR)
			return -1;
		check(n >= 0, "poll: %s", errname(errno));
		if (n == 1)
			check(p.revents == POLLIN, "fd#%u: poll revents %#x, not POLLIN", u->id,
			      p.revents);
		readable = n == 1 && (p.revents & POLLIN);
		break;
	}
	if (!readable) {
		check_not_readable(u, before, true, "poll/select/epoll said not readable");
		zap_check_owed(u, "poll/select/epoll said not readable");
	}
	return readable;
}

/* Another address space's file: read() refuses, and never blocks. */
static void read_foreign(struct ufd *u)
{
	set_what("read fd#%u (foreign)", u->id);
	check_errno(read(u->fd, P.rbuf, read_buffer_size()), EPERM, "read from another mm");
}

/* Reads @u until a LAST event, as a library would after seeing the counter move. */
static void drain(struct ufd *u, bool random_sizes)
{
	size_t count, full = read_buffer_size();
	unsigned int round;
	long ret;

	for (round = 0; round < 4; round++) {
		set_what("%s fd#%u round %u (%u registrations)", __func__, u->id, round, u->nregs);
		if (!u->nonblock && poll_readable(u) != 1)
			return;
		if (!random_sizes || rng_percent(&P.rng, 75))
			count = full;
		else
			count = EVENT_SIZE * rng_between(&P.rng, 2, 2 * (u->nregs + 2)) +
				rng_below(&P.rng, EVENT_SIZE);
		ret = read_checked(u, P.rbuf, count, count, false, "drain");
		if (ret < 0) {
			check(errno == EAGAIN, "fd#%u: %s: read: %s", u->id, __func__,
			      errname(errno));
			return;
		}
		if (ends_with_last(P.rbuf, ret))
			return;
		if (!check((size_t)ret + EVENT_SIZE > count,
			   "fd#%u: read returned %ld events without LAST though %zu more would fit",
			   u->id, ret / EVENT_SIZE, (count - ret) / EVENT_SIZE))
			return;
	}
}

void op_drain(void)
{
	struct ufd *u = fd_pick(false);

	if (!u)
		return;
	if (u->foreign)
		read_foreign(u);
	else
		drain(u, true);
}

/* Reads @u until a LAST event, as a ring consumer does after seeing OVERFLOW. */
void drain_file(struct ufd *u)
{
	drain(u, false);
}

/*
 * Before a process ends: whatever our invalidations owe must be delivered,
 * by the ring (consumed first, as a library does) or by read().
 */
void drain_all(void)
{
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++) {
		if (!P.fds[i].open || P.fds[i].foreign)
			continue;
		ring_consume_all(&P.fds[i]);
		drain(&P.fds[i], false);
	}
}

/* Reads a few events at a time: the rest stays queued, in order. */
void op_read_small(void)
{
	struct ufd *u = fd_pick(false);
	size_t count;
	long ret;

	if (!u)
		return;
	if (u->foreign) {
		read_foreign(u);
		return;
	}
	count = EVENT_SIZE * rng_between(&P.rng, 1, 3) + rng_below(&P.rng, EVENT_SIZE);
	set_what("read fd#%u %zu bytes", u->id, count);
	if (!u->nonblock && poll_readable(u) != 1)
		return;
	ret = read_checked(u, P.rbuf, count, count, false, "small read");
	check(ret >= 0 || errno == EAGAIN, "fd#%u: read(%zu): %s", u->id, count, errname(errno));
}

static size_t hostile_count(void)
{
	switch (rng_below(&P.rng, 10)) {
	case 0: case 1: return rng_below(&P.rng, EVENT_SIZE);
	case 2: return EVENT_SIZE;
	case 3: return EVENT_SIZE + 1 + rng_below(&P.rng, EVENT_SIZE - 1);
	case 4: return 1 << 20;
	case 5: return 1 << 30;
	case 6: return (size_t)-1;
	case 7: return (size_t)1 << 62;
	case 8: return USER_TOP;
	default: return rng_between(&P.rng, EVENT_SIZE, 4 * read_buffer_size());
	}
}

void op_read_hostile(void)
{
	struct ufd *u = fd_pick(false);
	size_t count = hostile_count(), readable, writable;
	bool toggled = false;
	const char *kind;
	void *buf;
	long ret;
	int want;

	if (!u)
		return;
	if (rng_percent(&P.rng, 50)) {
		buf = bad_pointer(count < read_buffer_size() ? count : read_buffer_size(),
				  &readable, &writable, &kind);
	} else {
		buf = P.rbuf;
		kind = "the read buffer";
		writable = count < read_buffer_size() ? count : read_buffer_size();
	}
	set_what("read fd#%u %zu bytes into %s (%zu writable)", u->id, count, kind, writable);
	if (!access_ok_user((uintptr_t)buf, count))
		want = EFAULT;
	else if (count < EVENT_SIZE)
		want = EINVAL;
	else if (u->foreign)
		want = EPERM;
	else
		want = -1;
	if (want >= 0) {
		ret = read(u->fd, buf, count);
		check_errno(ret, want, "read");
		if (!u->foreign)
			mark_used(u, false);
		return;
	}
	if (!u->nonblock && poll_readable(u) != 1) {
		if (!set_nonblock(u, true))
			return;
		toggled = true;
	}
	ret = read_checked(u, buf, count, writable, false, "hostile read");
	if (ret < 0)
		check(errno == EAGAIN || (errno == EFAULT && writable < count),
		      "fd#%u: read(%zu) into %s: %s", u->id, count, kind, errname(errno));
	if (toggled)
		set_nonblock(u, false);
}

void op_poll(void)
{
	struct ufd *u = fd_pick(false);
	struct pollfd p;
	long ret;

	if (!u)
		return;
	set_what("poll fd#%u%s", u->id, u->foreign ? " (foreign)" : "");
	if (u->foreign) {
		p.fd = u->fd;
		p.events = POLLIN;
		/*
		 * poll() is never restarted after a handler ran, SA_RESTART or
		 * not: a SIGIO from a racer's munmap() makes it EINTR.
		 */
		ret = poll(&p, 1, 0);
		if (ret < 0 && errno == EINTR)
			return;
		check(ret >= 0, "poll of a foreign file: %s", errname(errno));
		return;
	}
	if (poll_readable(u) != 1)
		return;
	ret = read_checked(u, P.rbuf, read_buffer_size(), read_buffer_size(), false,
			   "read after poll");
	/* With a ring, poll() may have meant entries not consumed. */
	check(ret > 0 || (ring_made(u) && errno == EAGAIN), "fd#%u: poll said readable, read: %s",
	      u->id, errname(errno));
}

/* Yields to the racer this often at most, waiting for an announced zap. */
#define ZAP_WAIT_YIELDS		2000
/* Only ends a wait for the zap's event that would never come. */
#define ZAP_EVENT_WAIT_MS	1000

/*
 * A read of a file that agreed to UMMUNOTIFY_FEATURE_REPORT_AT_END and
 * watches the zap region, while the racer zaps it: the file is drained,
 * then, once the racer announced a zap, poll() waits for the event its
 * invalidate_range_start queues and the read follows at once.  What it
 * returns while the zap is in progress is owed again (inprogress.c).
 */
void op_read_during_zap(void)
{
	struct ufd *candidates[MAX_FDS], *u;
	unsigned int i, n = 0;
	struct pollfd p;

	if (!opt.racer)
		return;
	for (i = 0; i < MAX_FDS; i++)
		if (zap_watched(&P.fds[i]))
			candidates[n++] = &P.fds[i];
	u = n ? candidates[rng_below(&P.rng, n)] : zap_watcher();
	if (!u)
		return;
	drain(u, false);
	set_what("read fd#%u during a racer zap", u->id);
	for (i = 0; i < ZAP_WAIT_YIELDS && !zap_in_progress(); i++)
		sched_yield();
	p.fd = u->fd;
	p.events = POLLIN;
	if (poll(&p, 1, ZAP_EVENT_WAIT_MS) != 1)
		return;		/* EINTR (SIGIO), or no zap came */
	read_checked(u, P.rbuf, read_buffer_size(), read_buffer_size(), false, "read during a zap");
}

/* A blocking read with nothing to read, interrupted by SIGALRM (no SA_RESTART). */
void op_read_interrupted(void)
{
	struct ufd *u = fd_pick(true);
	struct itimerval timer = { { 0, 0 }, { 0, 0 } };
	long ret;
	int err;

	if (!u)
		return;
	set_what("blocking read fd#%u, interrupted", u->id);
	switch (poll_readable(u)) {
	case 1:
		read_checked(u, P.rbuf, read_buffer_size(), read_buffer_size(), false,
			     "read after poll");
		return;
	case -1:
		return;
	}
	/*
	 * Periodic: a SIGIO (SA_RESTART) that coincides with the SIGALRM can
	 * have the read restarted, and then the next SIGALRM ends it.
	 */
	timer.it_value.tv_usec = rng_between(&P.rng, 2000, 20000);
	timer.it_interval.tv_usec = timer.it_value.tv_usec;
	if (!check_errno(setitimer(ITIMER_REAL, &timer, NULL), 0, "setitimer"))
		return;
	if (!u->nonblock || set_nonblock(u, false))
		ret = read_checked(u, P.rbuf, read_buffer_size(), read_buffer_size(), true,
				   "blocking read");
	else
		ret = 0;
	err = errno;
	timer.it_value.tv_usec = 0;
	timer.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &timer, NULL);
	if (ret < 0)
		check(err == EINTR, "fd#%u: blocking read: %s, want EINTR or events", u->id,
		      errname(err));
	if (u->nonblock)
		set_nonblock(u, true);
}
