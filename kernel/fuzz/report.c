// SPDX-License-Identifier: GPL-2.0
/*
 * Checks and failures, and the counters every fuzzer process adds to in a
 * shared anonymous mapping made before the first fork: operations, checks,
 * failures, children, and each worker's progress for the hang watchdog.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

/* Failures printed per kind (call site) and process; the rest are counted. */
#define PRINTED_PER_KIND 3
#define KINDS 64

struct worker_slot {
	unsigned long progress;
	char what[WHAT_LEN];
};

struct shared {
	unsigned long ops;
	unsigned long checks;
	unsigned long failures;
	unsigned long children;
	unsigned long child_ops;
	struct worker_slot workers[MAX_WORKERS];
};

static struct shared *shared;

void shared_init(unsigned int workers)
{
	(void)workers;
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("umn-fuzz: mmap of the shared counters");
		exit(2);
	}
}

static unsigned long load(unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void add(unsigned long *p, unsigned long n)
{
	if (n)
		__atomic_add_fetch(p, n, __ATOMIC_RELAXED);
}

/* Adds what this process did since the last flush to the shared totals. */
void shared_flush(void)
{
	add(&shared->ops, P.op - P.ops_flushed);
	if (P.child)
		add(&shared->child_ops, P.op - P.ops_flushed);
	add(&shared->checks, P.checks - P.checks_flushed);
	add(&shared->failures, P.failures - P.failures_flushed);
	P.ops_flushed = P.op;
	P.checks_flushed = P.checks;
	P.failures_flushed = P.failures;
}

/* A worker tells the watchdog where it is. */
void shared_progress(void)
{
	struct worker_slot *slot = &shared->workers[P.worker];

	if (P.child)
		return;
	memcpy(slot->what, P.what, WHAT_LEN);
	__atomic_store_n(&slot->progress, P.op + 1, __ATOMIC_RELEASE);
}

unsigned long shared_ops(void)
{
	return load(&shared->ops);
}

unsigned long shared_checks(void)
{
	return load(&shared->checks);
}

unsigned long shared_failures(void)
{
	return load(&shared->failures);
}

unsigned long shared_child_ops(void)
{
	return load(&shared->child_ops);
}

unsigned long shared_children(void)
{
	return load(&shared->children);
}

void shared_count_child(void)
{
	add(&shared->children, 1);
}

unsigned long shared_worker_progress(unsigned int worker)
{
	return __atomic_load_n(&shared->workers[worker].progress, __ATOMIC_ACQUIRE);
}

const char *shared_worker_what(unsigned int worker)
{
	static char copy[WHAT_LEN];

	memcpy(copy, shared->workers[worker].what, WHAT_LEN);
	copy[WHAT_LEN - 1] = '\0';
	return copy;
}

/* One line, in one write(), so that lines of processes do not mix. */
static void emit(const char *line)
{
	size_t len = strlen(line), done = 0;
	ssize_t n;

	while (done < len) {
		n = write(STDOUT_FILENO, line + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		done += (size_t)n;
	}
}

/* Failures of this process by kind: the format string identifies a check. */
static struct {
	const char *fmt;
	unsigned long count;
} kinds[KINDS];

static unsigned long count_kind(const char *fmt)
{
	unsigned int i;

	for (i = 0; i < KINDS && kinds[i].fmt; i++)
		if (kinds[i].fmt == fmt)
			return ++kinds[i].count;
	if (i == KINDS)
		return PRINTED_PER_KIND + 1;
	kinds[i].fmt = fmt;
	return kinds[i].count = 1;
}

static void vfail(const char *fmt, va_list ap)
{
	char message[512], line[800];
	unsigned long n;

	P.failures++;
	n = count_kind(fmt);
	if (n > PRINTED_PER_KIND)
		return;
	vsnprintf(message, sizeof(message), fmt, ap);
	snprintf(line, sizeof(line), "# FAIL %s op %lu (%s): %s%s\n", P.name, P.op, P.what,
		 message, n == PRINTED_PER_KIND ? " (more of this kind are only counted)" : "");
	emit(line);
}

/* A forked child counts its own failures. */
void report_reset(void)
{
	memset(kinds, 0, sizeof(kinds));
}

/* Before the process ends: how often each kind of failure happened. */
void report_failure_counts(void)
{
	unsigned int i;
	char line[300];

	for (i = 0; i < KINDS && kinds[i].fmt; i++) {
		if (kinds[i].count <= PRINTED_PER_KIND)
			continue;
		snprintf(line, sizeof(line), "# %s: %lu failures like \"%.160s\"\n", P.name,
			 kinds[i].count, kinds[i].fmt);
		emit(line);
	}
}

void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(fmt, ap);
	va_end(ap);
}

/* Counts a check; reports it if @ok is false.  Returns @ok. */
bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	P.checks++;
	if (ok)
		return true;
	va_start(ap, fmt);
	vfail(fmt, ap);
	va_end(ap);
	return false;
}

void say(const char *fmt, ...)
{
	char line[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	emit(line);
}

/* Describes the current operation, for failure messages and the watchdog. */
void set_what(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(P.what, sizeof(P.what), fmt, ap);
	va_end(ap);
	shared_progress();
}

const char *errname(int err)
{
	static char other[16];

	switch (err) {
	case 0: return "success";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case EOVERFLOW: return "EOVERFLOW";
	case ENODEV: return "ENODEV";
	}
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

/*
 * Checks that a system call that returned @ret (with errno) failed with
 * @want, or succeeded if @want is 0.
 */
/*
 * An mmap() of @u in a shape that must fail with @want (the shape @what),
 * unmapped again if the kernel took it.
 */
void check_mmap_refused(struct ufd *u, size_t len, int prot, int flags, off_t offset, int want,
			const char *what)
{
	void *p = mmap(NULL, len, prot, flags, u->fd, offset);

	check_errno(p == MAP_FAILED ? -1 : 0, want, what);
	if (p != MAP_FAILED)
		munmap(p, len);
}

bool check_errno(long ret, int want, const char *call)
{
	int got = ret < 0 ? errno : 0;

	return check(got == want, "%s: got %s, want %s", call, errname(got),
		     errname(want));
}
