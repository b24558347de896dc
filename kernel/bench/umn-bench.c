// SPDX-License-Identifier: GPL-2.0
/*
 * umn-bench: what /dev/ummunotify costs, measured in one run.
 *
 * 1. The notifier's cost as the number of unrelated registrations grows:
 *    the time of mmap() + munmap() of one page, with 0, 10^3, 10^5 and 10^6
 *    registrations elsewhere (32-byte ranges every 64 bytes of an address
 *    range that is not mapped, so that nothing benchmarked touches them).
 *    Measured twice: the page watched by a registration of its own (each
 *    munmap() queues its event, drained outside the timed section), and the
 *    page not watched at all.  Ratios are to 0 unrelated registrations.
 * 2. REGISTER and UNREGISTER per operation with 10^3 and 10^6 live
 *    registrations (ranges and cookies spread at random over the trees).
 * 3. Kernel memory held per live registration at 10^6: the growth of the
 *    guest's slab (/proc/meminfo Slab) and of its other used memory
 *    (MemFree's fall minus Slab's growth: the cookie table's buckets,
 *    from vmalloc past a few pages) from before the first registration to
 *    10^6 registrations, divided by 10^6.
 * 4. Draining 10^5 queued events (queued by one munmap()) with a 4 MiB
 *    buffer: events per read() and the time of the drain.
 *
 * Every figure is the median of per-round medians; times use
 * CLOCK_MONOTONIC around each operation.  The goals are printed beside the
 * results, not asserted.  Run it in the test guest (kernel/bench/run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/ummunotify.h>

#define ARRAY_SIZE(arr)	(sizeof(arr) / sizeof((arr)[0]))

#define ROUNDS		5
#define MUNMAP_ITERS	400
#define REG_OPS		2000
#define STRIDE		64		/* bytes between unrelated ranges */
#define MAX_UNRELATED	1000000UL
#define DRAIN_EVENTS	100000UL
#define DRAIN_BUFFER	(4UL << 20)

#define GOAL_MUNMAP_RATIO	1.3
#define GOAL_REGISTER_RATIO	2.0
#define GOAL_BYTES_PER_REG	128

static const unsigned long levels[] = { 0, 1000, 100000, MAX_UNRELATED };
#define NLEVELS ARRAY_SIZE(levels)

static int fd;
static size_t pg;
static char *unrelated_area;	/* MAX_UNRELATED * STRIDE bytes, unmapped */
static char *page_slot;		/* where the benchmarked page is mapped */
static unsigned long nunrelated;

static void die(const char *what)
{
	fprintf(stderr, "umn-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The guest's memory counters that registrations move, in KiB. */
struct mem_snapshot {
	long	slab_kb;
	long	free_kb;
};

static long meminfo_kb(const char *text, const char *field)
{
	const char *line = strstr(text, field);
	long kb;

	if (!line || sscanf(line + strlen(field), " %ld kB", &kb) != 1) {
		fprintf(stderr, "umn-bench: no %s in /proc/meminfo\n", field);
		exit(1);
	}
	return kb;
}

static struct mem_snapshot mem_snapshot(void)
{
	static char text[8192];
	struct mem_snapshot snap;
	FILE *f = fopen("/proc/meminfo", "r");
	size_t n;

	if (!f)
		die("open /proc/meminfo");
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	snap.slab_kb = meminfo_kb(text, "\nSlab:");
	snap.free_kb = meminfo_kb(text, "MemFree:");
	return snap;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int reg(uint64_t start, uint64_t end, uint64_t cookie)
{
	struct ummunotify_register_ioctl r = {
		.start = start, .end = end, .user_cookie = cookie,
	};

	return ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r);
}

static int unreg(uint64_t cookie)
{
	return ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie);
}

/* A hole of @len bytes nothing else will be mapped into (guard pages). */
static char *reserve_hole(size_t len)
{
	char *p = mmap(NULL, len + 2 * pg, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap reservation");
	if (munmap(p + pg, len))
		die("munmap reservation");
	return p + pg;
}

/* Grows the unrelated registrations to @n (cookies 0..n-1). */
static bool grow_unrelated(unsigned long n)
{
	for (; nunrelated < n; nunrelated++) {
		uint64_t start = (uintptr_t)unrelated_area + nunrelated * STRIDE;

		if (reg(start, start + STRIDE / 2, nunrelated)) {
			if (errno == ENOSPC)
				return false;
			die("register unrelated range");
		}
	}
	return true;
}

static void drain(void)
{
	static struct ummunotify_event ev[64];

	while (read(fd, ev, sizeof(ev)) > 0)
		;
	if (errno != EAGAIN)
		die("read");
}

/*
 * Median time of mmap() + munmap() of the page, watched by a registration
 * of its own or not.
 */
static uint64_t time_munmap(bool watched)
{
	static uint64_t round_median[ROUNDS], sample[MUNMAP_ITERS];
	const uint64_t cookie = UINT64_MAX;
	int r, i;

	if (watched && reg((uintptr_t)page_slot, (uintptr_t)page_slot + pg, cookie))
		die("register the page");
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < MUNMAP_ITERS; i++) {
			uint64_t t0 = now_ns();
			char *p = mmap(page_slot, pg, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				       -1, 0);

			if (p != page_slot)
				die("mmap the page");
			if (munmap(p, pg))
				die("munmap the page");
			sample[i] = now_ns() - t0;
			if (watched)
				drain();
		}
		round_median[r] = median(sample, MUNMAP_ITERS);
	}
	if (watched && unreg(cookie))
		die("unregister the page");
	drain();
	return median(round_median, ROUNDS);
}

static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Median per-operation times of REGISTER and UNREGISTER of extra ranges. */
static void time_register(uint64_t *reg_ns, uint64_t *unreg_ns)
{
	static uint64_t reg_round[ROUNDS], unreg_round[ROUNDS], sample[REG_OPS];
	static uint64_t cookies[REG_OPS];
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < REG_OPS; i++) {
			uint64_t slot = next_random(&rng) % MAX_UNRELATED;
			uint64_t start = (uintptr_t)unrelated_area + slot * STRIDE + STRIDE / 2;
			uint64_t t0;

			/* Random cookies, above those of the unrelated ranges. */
			cookies[i] = (next_random(&rng) | (1ULL << 62)) & ~(1ULL << 63);
			t0 = now_ns();
			if (reg(start, start + 8, cookies[i]))
				die("register");
			sample[i] = now_ns() - t0;
		}
		reg_round[r] = median(sample, REG_OPS);
		for (i = 0; i < REG_OPS; i++) {
			uint64_t t0 = now_ns();

			if (unreg(cookies[i]))
				die("unregister");
			sample[i] = now_ns() - t0;
		}
		unreg_round[r] = median(sample, REG_OPS);
	}
	*reg_ns = median(reg_round, ROUNDS);
	*unreg_ns = median(unreg_round, ROUNDS);
}

/* Queues DRAIN_EVENTS events with one munmap() and reads them all. */
static void time_drain(unsigned int *reads, uint64_t *events, uint64_t *ns)
{
	static uint64_t round_ns[ROUNDS];
	size_t len = DRAIN_EVENTS * STRIDE;
	struct ummunotify_event *buf = malloc(DRAIN_BUFFER);
	unsigned long i;
	int r;

	if (!buf)
		die("malloc");
	memset(buf, 0, DRAIN_BUFFER);
	for (r = 0; r < ROUNDS; r++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t t0, got = 0;
		unsigned int n = 0;
		bool last = false;

		if (p == MAP_FAILED)
			die("mmap");
		for (i = 0; i < DRAIN_EVENTS; i++)
			if (reg((uintptr_t)p + i * STRIDE, (uintptr_t)p + (i + 1) * STRIDE,
				(1ULL << 63) | i))
				die("register");
		if (munmap(p, len))
			die("munmap");
		t0 = now_ns();
		while (!last) {
			ssize_t bytes = read(fd, buf, DRAIN_BUFFER);

			if (bytes <= 0)
				die("read");
			n++;
			got += bytes / sizeof(*buf);
			last = buf[bytes / sizeof(*buf) - 1].type == UMMUNOTIFY_EVENT_TYPE_LAST;
		}
		round_ns[r] = now_ns() - t0;
		*reads = n;
		*events = got;
		for (i = 0; i < DRAIN_EVENTS; i++)
			if (unreg((1ULL << 63) | i))
				die("unregister");
	}
	*ns = median(round_ns, ROUNDS);
	free(buf);
}

static const char *verdict(double ratio, double goal)
{
	return ratio <= goal ? "met" : "NOT met";
}

int main(void)
{
	uint64_t watched[NLEVELS], unwatched[NLEVELS];
	uint64_t reg_ns[2], unreg_ns[2], drain_ns, drain_events;
	bool have_reg[2] = { false, false }, have_mem = false;
	struct mem_snapshot mem_before, mem_after;
	double slab_per_reg = 0, pages_per_reg = 0;
	struct utsname uts;
	unsigned int drain_reads, measured = 0, l;
	double r_w, r_u, r_reg;

	pg = sysconf(_SC_PAGESIZE);
	fd = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/ummunotify");
	unrelated_area = reserve_hole(MAX_UNRELATED * STRIDE);
	page_slot = reserve_hole(pg);

	if (uname(&uts))
		die("uname");
	printf("umn-bench: /dev/ummunotify costs on %s; medians of %d rounds, CLOCK_MONOTONIC\n\n",
	       uts.release, ROUNDS);
	mem_before = mem_snapshot();
	printf("1. mmap()+munmap() of one page vs. unrelated registered ranges (%d per round)\n",
	       MUNMAP_ITERS);
	printf("   %-12s %14s %7s %16s %7s\n", "unrelated", "page watched", "ratio",
	       "page unwatched", "ratio");
	for (l = 0; l < NLEVELS; l++) {
		if (!grow_unrelated(levels[l])) {
			printf("   %-12lu (max_regions is below %lu: skipped)\n",
			       levels[l], levels[l]);
			break;
		}
		if (levels[l] == MAX_UNRELATED) {
			mem_after = mem_snapshot();
			slab_per_reg = (mem_after.slab_kb - mem_before.slab_kb) * 1024.0 /
				       MAX_UNRELATED;
			pages_per_reg = (mem_before.free_kb - mem_after.free_kb) * 1024.0 /
					MAX_UNRELATED - slab_per_reg;
			have_mem = true;
		}
		watched[l] = time_munmap(true);
		unwatched[l] = time_munmap(false);
		measured = l + 1;
		printf("   %-12lu %11.2f us %7.2f %13.2f us %7.2f\n", levels[l],
		       watched[l] / 1e3, (double)watched[l] / watched[0],
		       unwatched[l] / 1e3, (double)unwatched[l] / unwatched[0]);
		if (levels[l] == 1000 || levels[l] == MAX_UNRELATED) {
			int k = levels[l] == 1000 ? 0 : 1;

			time_register(&reg_ns[k], &unreg_ns[k]);
			have_reg[k] = true;
		}
	}

	printf("\n2. REGISTER / UNREGISTER per operation (%d per round)\n", REG_OPS);
	printf("   %-12s %14s %16s\n", "live ranges", "register", "unregister");
	for (l = 0; l < 2; l++)
		if (have_reg[l])
			printf("   %-12lu %11.2f us %13.2f us\n", l ? MAX_UNRELATED : 1000UL,
			       reg_ns[l] / 1e3, unreg_ns[l] / 1e3);
	if (have_reg[0] && have_reg[1])
		printf("   %-12s %14.2f %16.2f\n", "ratio",
		       (double)reg_ns[1] / reg_ns[0], (double)unreg_ns[1] / unreg_ns[0]);

	printf("\n3. kernel memory held per live registration at %lu registrations\n",
	       MAX_UNRELATED);
	if (have_mem)
		printf("   %.0f bytes: slab %.0f, other pages %.0f\n",
		       slab_per_reg + pages_per_reg, slab_per_reg, pages_per_reg);
	else
		printf("   not measured\n");

	/* The unrelated ranges would not leave room under max_regions. */
	while (nunrelated > 0)
		if (unreg(--nunrelated))
			die("unregister unrelated range");
	time_drain(&drain_reads, &drain_events, &drain_ns);
	printf("\n4. draining %lu queued events with a %lu MiB buffer\n", DRAIN_EVENTS,
	       DRAIN_BUFFER >> 20);
	printf("   %u read() call(s), %.0f events per read (LAST included), %.2f ms\n",
	       drain_reads, (double)drain_events / drain_reads, drain_ns / 1e6);

	printf("\ngoals (printed, not asserted):\n");
	if (measured == NLEVELS) {
		r_w = (double)watched[NLEVELS - 1] / watched[0];
		r_u = (double)unwatched[NLEVELS - 1] / unwatched[0];
		printf("   munmap ratio at 10^6 <= %.1f: page watched %.2f (%s), ",
		       GOAL_MUNMAP_RATIO, r_w, verdict(r_w, GOAL_MUNMAP_RATIO));
		printf("page unwatched %.2f (%s)\n", r_u, verdict(r_u, GOAL_MUNMAP_RATIO));
	} else {
		printf("   munmap ratio at 10^6: not measured\n");
	}
	if (have_reg[0] && have_reg[1]) {
		r_reg = (double)reg_ns[1] / reg_ns[0];
		printf("   register cost at 10^6 <= %.0fx at 10^3: %.2fx (%s)\n",
		       GOAL_REGISTER_RATIO, r_reg, verdict(r_reg, GOAL_REGISTER_RATIO));
	} else {
		printf("   register cost ratio: not measured\n");
	}
	if (have_mem)
		printf("   kernel memory per registration at 10^6 <= %d bytes: %.0f (%s)\n",
		       GOAL_BYTES_PER_REG, slab_per_reg + pages_per_reg,
		       slab_per_reg + pages_per_reg <= GOAL_BYTES_PER_REG ? "met" : "NOT met");
	else
		printf("   kernel memory per registration: not measured\n");
	close(fd);
	return 0;
}
