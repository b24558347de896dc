/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the /dev/ummunotify selftests: opening the device,
 * the ioctls as functions returning 0 or -errno, fdinfo parsing, anonymous
 * page mappings and draining the event queue with a check of the record
 * format.  The semantics under test are in kernel/Documentation/ummunotify.rst.
 *
 * Include after kselftest_harness.h: umn_expect_single_event() and
 * umn_expect_no_event() use its ASSERT_* macros.
 */
#ifndef UMN_TEST_H
#define UMN_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ummunotify.h>

#define UMN_DEVICE		"/dev/ummunotify"
#define UMN_MAX_REGIONS_PARAM	"/sys/module/ummunotify/parameters/max_regions"
#define UMN_EVENT_SIZE		sizeof(struct ummunotify_event)

/* The seed ABI, byte for byte: a change here breaks every existing user. */
_Static_assert(sizeof(struct ummunotify_event) == 32, "event is 32 bytes");
_Static_assert(offsetof(struct ummunotify_event, hint_start) == 8, "hint_start");
_Static_assert(offsetof(struct ummunotify_event, user_cookie_counter) == 24,
	       "user_cookie_counter");
_Static_assert(sizeof(struct ummunotify_register_ioctl) == 32,
	       "register argument is 32 bytes");
_Static_assert(offsetof(struct ummunotify_register_ioctl, flags) == 24, "flags");

static inline size_t umn_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline uint64_t umn_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Opens the device read-only (plus @extra_flags); returns the fd or -errno. */
static inline int umn_open(int extra_flags)
{
	int fd = open(UMN_DEVICE, O_RDONLY | O_CLOEXEC | extra_flags);

	return fd < 0 ? -errno : fd;
}

static inline int umn_register_flags(int fd, uint64_t start, uint64_t end,
				     uint64_t cookie, uint32_t flags,
				     uint32_t reserved)
{
	struct ummunotify_register_ioctl r = {
		.start = start,
		.end = end,
		.user_cookie = cookie,
		.flags = flags,
		.reserved = reserved,
	};

	return ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r) ? -errno : 0;
}

/* Registers [start, end) under @cookie; returns 0 or -errno. */
static inline int umn_register(int fd, uint64_t start, uint64_t end,
			       uint64_t cookie)
{
	return umn_register_flags(fd, start, end, cookie, 0, 0);
}

static inline int umn_register_ptr(int fd, const void *p, size_t len,
				   uint64_t cookie)
{
	return umn_register(fd, umn_addr(p), umn_addr(p) + len, cookie);
}

static inline int umn_unregister(int fd, uint64_t cookie)
{
	return ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie) ? -errno : 0;
}

/*
 * Maps the counter page read-only; NULL (errno set) on failure.  Read the
 * counter with umn_counter().
 */
static inline const uint64_t *umn_map_counter(int fd)
{
	void *p = mmap(NULL, umn_page_size(), PROT_READ, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : (const uint64_t *)p;
}

/*
 * The counter at @counter (a mapped counter page), now: a relaxed atomic
 * load, user space's READ_ONCE().  The kernel stores the counter at any
 * time (WRITE_ONCE(), one 64-bit store), so every call must load it
 * afresh and in one piece; the tests compare the value only (the events
 * come by read(), under the file's lock), so no ordering against other
 * accesses is needed, and the system calls they compare it around are
 * compiler barriers.
 */
static inline uint64_t umn_counter(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/*
 * Maps @npages private read-write anonymous pages (plus @extra_flags, e.g.
 * MAP_POPULATE) between two PROT_NONE guard pages, so that they form a VMA
 * of their own that never merges with a neighbour.  Exact counter
 * expectations depend on it: when munmap() splits a VMA at an address that
 * is not 2 MiB aligned and the VMA covers the whole 2 MiB block around that
 * address, Linux 6.1 invalidates the block once more while looking for a
 * huge page to split (split_huge_pmd_address()), huge page or not.  The
 * guard pages stay mapped.  Returns NULL on failure.
 */
static inline char *umn_map_isolated(size_t npages, int extra_flags)
{
	size_t pg = umn_page_size();
	char *guarded = mmap(NULL, (npages + 2) * pg, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	if (guarded == MAP_FAILED)
		return NULL;
	p = mmap(guarded + pg, npages * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra_flags, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* umn_map_isolated(), populated. */
static inline char *umn_map_pages(size_t npages)
{
	return umn_map_isolated(npages, MAP_POPULATE);
}

/* Every feature this module implements. */
#define UMN_KNOWN_FEATURES	(UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES | \
				 UMMUNOTIFY_FEATURE_REPORT_AT_END | \
				 UMMUNOTIFY_FEATURE_EVENT_RING)

struct umn_fdinfo {
	long long registrations;
	long long queued;
	long long counter;
	long long features;
};

/*
 * Reads /proc/<pid>/fdinfo/<fd> (pid 0: self).  Returns 0, -errno if the
 * file cannot be read, or -EPROTO if one of the four lines is missing.
 */
static inline int umn_read_fdinfo_of(pid_t pid, int fd, struct umn_fdinfo *info)
{
	char path[64], line[256];
	int seen = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	else
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "registrations:\t%lld", &info->registrations) == 1)
			seen |= 1;
		else if (sscanf(line, "queued:\t%lld", &info->queued) == 1)
			seen |= 2;
		else if (sscanf(line, "counter:\t%lld", &info->counter) == 1)
			seen |= 4;
		else if (sscanf(line, "features:\t0x%llx", &info->features) == 1)
			seen |= 8;
	}
	fclose(f);
	return seen == 15 ? 0 : -EPROTO;
}

static inline int umn_read_fdinfo(int fd, struct umn_fdinfo *info)
{
	return umn_read_fdinfo_of(0, fd, info);
}

/*
 * Reads the decimal value of the line "@name:\t<n>" of our fdinfo.
 * Returns 0, -errno if the file cannot be read, or -ENOENT if no line has
 * that name.
 */
static inline int umn_fdinfo_value(int fd, const char *name, long long *value)
{
	char path[64], line[256];
	size_t len = strlen(name);
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len) && line[len] == ':' &&
		    sscanf(line + len + 1, "%lld", value) == 1)
			ret = 0;
	}
	fclose(f);
	return ret;
}

/* Whether all @len bytes at @p are @byte. */
static inline bool umn_all_bytes(const char *p, size_t len, int byte)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (char)byte)
			return false;
	return true;
}

/* fdinfo's per-file counts of invalidations that hit a registration. */
struct umn_counts {
	long long reported;
	long long filtered;
};

/* Reads both counts; 0, or the error of the first that cannot be read. */
static inline int umn_read_counts(int fd, struct umn_counts *c)
{
	int ret = umn_fdinfo_value(fd, "invalidations_reported", &c->reported);

	return ret ? ret : umn_fdinfo_value(fd, "invalidations_filtered", &c->filtered);
}

/* Number of registrations in fdinfo, or -1 if fdinfo cannot be read. */
static inline long long umn_registrations(int fd)
{
	struct umn_fdinfo info;

	return umn_read_fdinfo(fd, &info) ? -1 : info.registrations;
}

/* xorshift64: the tests' reproducible pseudo-random numbers; *@x != 0. */
static inline uint64_t umn_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

#define UMN_DRAIN_MAX	4096

/*
 * The outcome of reading a file until a LAST event: the INVAL events in
 * delivery order and the counter carried by the LAST event.
 */
struct umn_drain {
	size_t ninval;
	struct ummunotify_event inval[UMN_DRAIN_MAX];
	uint64_t last_counter;
	unsigned int reads;
	char why[160];		/* set when umn_drain() returns -EPROTO */
};

static inline int umn_drain_fail(struct umn_drain *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	return -EPROTO;
}

/*
 * Reads @fd until a LAST event arrives, checking every record: reads return
 * whole events, INVAL events carry no flag but HINT, and a LAST event is the
 * last record of its read and has flags and hints 0.  Returns 0, -errno of
 * a failed read (-EAGAIN: the file was not readable before a LAST came, on
 * a non-blocking fd), or -EPROTO with @d->why set.
 */
static inline int umn_drain(int fd, struct umn_drain *d)
{
	static struct ummunotify_event buf[UMN_DRAIN_MAX + 1];
	ssize_t n;
	size_t i, count;

	memset(d, 0, sizeof(*d));
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		d->reads++;
		if (n == 0 || n % UMN_EVENT_SIZE)
			return umn_drain_fail(d, "read returned %zd bytes", n);
		count = n / UMN_EVENT_SIZE;
		for (i = 0; i < count; i++) {
			const struct ummunotify_event *ev = &buf[i];

			if (ev->type == UMMUNOTIFY_EVENT_TYPE_LAST) {
				if (i != count - 1)
					return umn_drain_fail(d, "LAST at %zu of %zu records",
							      i, count);
				if (ev->flags || ev->hint_start || ev->hint_end)
					return umn_drain_fail(d,
							      "LAST with flags %#x hint %#llx-%#llx",
							      ev->flags,
							      (unsigned long long)ev->hint_start,
							      (unsigned long long)ev->hint_end);
				d->last_counter = ev->user_cookie_counter;
				return 0;
			}
			if (ev->type != UMMUNOTIFY_EVENT_TYPE_INVAL)
				return umn_drain_fail(d, "record type %u", ev->type);
			if (ev->flags & ~(uint32_t)UMMUNOTIFY_EVENT_FLAG_HINT)
				return umn_drain_fail(d, "INVAL flags %#x", ev->flags);
			if (d->ninval == UMN_DRAIN_MAX)
				return umn_drain_fail(d, "more than %d INVAL events",
						      UMN_DRAIN_MAX);
			d->inval[d->ninval++] = *ev;
		}
	}
}

/* Scratch space for the assertion macros below (one test runs per process). */
static struct umn_drain umn_scratch __attribute__((unused));

/* The INVAL event of @cookie in @d, NULL if none; *@times counts them. */
static inline const struct ummunotify_event *
umn_find(const struct umn_drain *d, uint64_t cookie, unsigned int *times)
{
	const struct ummunotify_event *found = NULL;
	size_t i;

	*times = 0;
	for (i = 0; i < d->ninval; i++) {
		if (d->inval[i].user_cookie_counter == cookie) {
			if (!found)
				found = &d->inval[i];
			(*times)++;
		}
	}
	return found;
}

/* One non-blocking read; returns its byte count or -errno. */
static inline ssize_t umn_read_nb(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

/*
 * Asserts that @fd (non-blocking) delivers exactly one INVAL event, for
 * @cookie, with @flags and [@hint_start, @hint_end), then a LAST event
 * carrying @counter.
 */
#define umn_expect_single_event(_fd, _cookie, _flags, _hint_start, _hint_end, _counter) \
	do {								\
		struct umn_drain *__d = &umn_scratch;			\
		int __ret = umn_drain(_fd, __d);			\
									\
		ASSERT_EQ(0, __ret) TH_LOG("drain: %s %s",		\
					   strerror(-__ret), __d->why);	\
		ASSERT_EQ(1, __d->ninval);				\
		EXPECT_EQ((uint64_t)(_cookie), __d->inval[0].user_cookie_counter); \
		EXPECT_EQ((uint32_t)(_flags), __d->inval[0].flags);	\
		EXPECT_EQ((uint64_t)(_hint_start), __d->inval[0].hint_start); \
		EXPECT_EQ((uint64_t)(_hint_end), __d->inval[0].hint_end); \
		EXPECT_EQ((uint64_t)(_counter), __d->last_counter);	\
	} while (0)

/* Asserts that a non-blocking read of @fd finds nothing to deliver. */
#define umn_expect_no_event(_fd)						\
	do {								\
		struct ummunotify_event __ev[4] = { { 0 } };		\
		ssize_t __n = umn_read_nb(_fd, __ev, sizeof(__ev));	\
									\
		ASSERT_EQ(-EAGAIN, __n) TH_LOG("read returned %zd, first type %u", \
					       __n, __ev[0].type);	\
	} while (0)

/*
 * The events of a registration hit @hits times before being read: a single
 * hit keeps FLAG_HINT and the invalidated part; several lose the hint and
 * report the whole range.
 */
#define umn_expected_flags(hits) ((hits) == 1 ? UMMUNOTIFY_EVENT_FLAG_HINT : 0)

#endif /* UMN_TEST_H */
