/*
 * The C counterpart of AcquireHitBenchmark: a hit in UCX's registration cache (libucs from
 * Debian's libucx-dev, used through its installed headers only), measured the same way as the
 * Java benchmark is: the same 1024 regions of 64 KiB, requests of 512 bytes at offset 128,
 * the same xorshift key sequence per thread, one ucs_rcache_get() of a cached region plus
 * ucs_rcache_region_put() per operation, reading the region's key as the Java side reads
 * lkey(). The registration callback does nothing but count; the cache installs its default
 * memory-event hooks (UCM_EVENT_VM_UNMAPPED | UCM_EVENT_MEM_TYPE_FREE, as UCX's IB transport
 * does).
 *
 *   ucx_rcache_hit THREADS WARMUPS ITERATIONS MILLIS
 *
 * Each thread measures its own CPU time (CLOCK_THREAD_CPUTIME_ID) and operations over the
 * measured iterations; the last line is
 *   ucx threads=N ops=... cpu_ns=... wall_ns=... cpu_ns_per_op=X.X
 * which AcquireHitBenchmarkMain parses. Exit status 1 on a setup failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ucm/api/ucm.h>
#include <ucs/memory/rcache.h>

#define KEYS		1024
#define STRIDE		(64 * 1024)
#define OFFSET		128
#define LENGTH		512
#define BATCH		1024
#define MAX_THREADS	64

/* The user part of a region: what mem_reg would fill in for a real device. */
struct bench_region {
	ucs_rcache_region_t super;
	uint32_t lkey;
};

struct bench_thread {
	pthread_t thread;
	unsigned int index;
	uint64_t ops;
	uint64_t cpu_ns;
	uint64_t wall_ns;
	uint32_t sink;
} __attribute__((aligned(128)));

static ucs_rcache_t *cache;
static char *base;
static atomic_uint registrations;
static atomic_int phase;	/* 0 warm-up, 1 measure, 2 stop */
static pthread_barrier_t start_line;

static ucs_status_t mem_reg(void *context, ucs_rcache_t *rcache, void *arg,
			    ucs_rcache_region_t *region, uint16_t flags)
{
	struct bench_region *r = (struct bench_region *)region;

	r->lkey = atomic_fetch_add(&registrations, 1) + 1;
	return UCS_OK;
}

static void mem_dereg(void *context, ucs_rcache_t *rcache, ucs_rcache_region_t *region)
{
}

static void dump_region(void *context, ucs_rcache_t *rcache, ucs_rcache_region_t *region,
			char *buf, size_t max)
{
	snprintf(buf, max, "lkey %u", ((struct bench_region *)region)->lkey);
}

static const ucs_rcache_ops_t ops = {
	.mem_reg = mem_reg,
	.mem_dereg = mem_dereg,
	.dump_region = dump_region,
};

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* AcquireHitBenchmark.Cursor: the same seed per thread index and the same steps. */
static inline uint32_t next_key(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x & (KEYS - 1);
}

static uint32_t hit(uint32_t key)
{
	ucs_rcache_region_t *region;
	uint32_t lkey;

	if (ucs_rcache_get(cache, base + (size_t)key * STRIDE + OFFSET, LENGTH,
			   PROT_READ | PROT_WRITE, NULL, &region) != UCS_OK)
		abort();
	lkey = ((struct bench_region *)region)->lkey;
	ucs_rcache_region_put(cache, region);
	return lkey;
}

static void *run(void *arg)
{
	struct bench_thread *t = arg;
	uint32_t x = (t->index + 1) * 0x9e3779b9u | 1;
	uint64_t cpu0 = 0, wall0 = 0, n = 0;
	uint32_t sink = 0;
	int measuring = 0;

	pthread_barrier_wait(&start_line);
	for (;;) {
		int p = atomic_load_explicit(&phase, memory_order_relaxed);

		if (p == 1 && !measuring) {
			measuring = 1;
			n = 0;
			cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
			wall0 = now_ns(CLOCK_MONOTONIC);
		} else if (p == 2) {
			break;
		}
		for (int i = 0; i < BATCH; i++)
			sink += hit(next_key(&x));
		n += BATCH;
	}
	t->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	t->wall_ns = now_ns(CLOCK_MONOTONIC) - wall0;
	t->ops = n;
	t->sink = sink;
	return NULL;
}

static void fill(void)
{
	size_t bytes = (size_t)KEYS * STRIDE;

	base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		perror("ucx_rcache_hit: mmap");
		exit(1);
	}
	memset(base, 1, bytes);	/* the pages exist, as in buffers in use */
	for (int i = 0; i < KEYS; i++) {
		ucs_rcache_region_t *region;

		if (ucs_rcache_get(cache, base + (size_t)i * STRIDE, STRIDE,
				   PROT_READ | PROT_WRITE, NULL, &region) != UCS_OK) {
			fprintf(stderr, "ucx_rcache_hit: ucs_rcache_get of region %d failed\n", i);
			exit(1);
		}
		ucs_rcache_region_put(cache, region);
	}
	/* Every region is its own registration, as in the Java cache: none was merged. */
	if (atomic_load(&registrations) != KEYS || hit(KEYS - 1) == 0) {
		fprintf(stderr, "ucx_rcache_hit: %u registrations for %d regions\n",
			atomic_load(&registrations), KEYS);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	ucs_rcache_params_t params = {
		.region_struct_size = sizeof(struct bench_region),
		.alignment = UCS_RCACHE_MIN_ALIGNMENT,
		.max_alignment = 4096,
		.ucm_events = UCM_EVENT_VM_UNMAPPED | UCM_EVENT_MEM_TYPE_FREE,
		.ucm_event_priority = 1000,
		.ops = &ops,
		.context = NULL,
		.flags = 0,
		.max_regions = -1UL,
		.max_size = SIZE_MAX,
		.max_unreleased = SIZE_MAX,
	};
	struct bench_thread *threads;
	unsigned int nthreads, warmups, iterations, millis;
	uint64_t ops_total = 0, cpu_total = 0, wall_total = 0;
	struct timespec pause;

	if (argc != 5) {
		fprintf(stderr, "usage: %s THREADS WARMUPS ITERATIONS MILLIS\n", argv[0]);
		return 2;
	}
	nthreads = atoi(argv[1]);
	warmups = atoi(argv[2]);
	iterations = atoi(argv[3]);
	millis = atoi(argv[4]);
	if (nthreads < 1 || nthreads > MAX_THREADS || iterations < 1 || millis < 1) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 2;
	}
	if (ucs_rcache_create(&params, "bench", NULL, &cache) != UCS_OK) {
		fprintf(stderr, "ucx_rcache_hit: ucs_rcache_create failed\n");
		return 1;
	}
	fill();

	threads = aligned_alloc(128, nthreads * sizeof(*threads));
	memset(threads, 0, nthreads * sizeof(*threads));
	pthread_barrier_init(&start_line, NULL, nthreads + 1);
	for (unsigned int i = 0; i < nthreads; i++) {
		threads[i].index = i;
		if (pthread_create(&threads[i].thread, NULL, run, &threads[i]) != 0) {
			fprintf(stderr, "ucx_rcache_hit: pthread_create failed\n");
			return 1;
		}
	}
	pthread_barrier_wait(&start_line);
	pause.tv_sec = (uint64_t)millis * warmups / 1000;
	pause.tv_nsec = (uint64_t)millis * warmups % 1000 * 1000000;
	nanosleep(&pause, NULL);
	atomic_store(&phase, 1);
	pause.tv_sec = (uint64_t)millis * iterations / 1000;
	pause.tv_nsec = (uint64_t)millis * iterations % 1000 * 1000000;
	nanosleep(&pause, NULL);
	atomic_store(&phase, 2);
	for (unsigned int i = 0; i < nthreads; i++) {
		pthread_join(threads[i].thread, NULL);
		ops_total += threads[i].ops;
		cpu_total += threads[i].cpu_ns;
		wall_total += threads[i].wall_ns;
	}
	printf("ucx threads=%u ops=%llu cpu_ns=%llu wall_ns=%llu ", nthreads,
	       (unsigned long long)ops_total, (unsigned long long)cpu_total,
	       (unsigned long long)wall_total);
	printf("cpu_ns_per_op=%.2f wall_ns_per_op=%.2f\n", (double)cpu_total / ops_total,
	       (double)wall_total / ops_total);
	ucs_rcache_destroy(cache);
	free(threads);
	return 0;
}
