// SPDX-License-Identifier: GPL-2.0
/*
 * ridx-test: the range index (kernel/range_index.c) built for user space
 * against shim/, driven by random insertions, removals and queries and
 * checked against a brute-force model of the same ranges.
 *
 * The run is a series of waves.  Each picks a size (a few ranges up to
 * thousands: the tree one to four levels deep), a key space (from a few
 * distinct starts, so that many ranges share one, to the whole of
 * unsigned long), range lengths, and where insertions and removals go
 * (anywhere, or in runs by rising or falling start), grows the index to
 * that size and shrinks it to nothing, or destroys it with ridx_destroy().
 * After every operation:
 * - ridx_validate() must accept the whole tree (and the checks that
 *   CONFIG_UMMUNOTIFY_DEBUG_RIDX makes inside every insertion and removal
 *   must not have warned);
 * - a query must return exactly the model's ranges overlapping it, each
 *   once, by non-decreasing start.
 * A wave's end also checks that every node went back to the allocator.
 * The run stops at the first failure, which it describes with the seed
 * and the operation's number: --seed S --ops N replays it.
 *
 *   ridx-test [--seed S] [--ops N]     (default: a random seed, 10^6 ops)
 *
 * Ends with "range-index: N passed, N failed", N counting operations.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../range_index.h"

unsigned long shim_warnings;
struct kmem_cache *shim_caches[4];

#define POOL		16384	/* ranges a wave may hold at once */
#define DEFAULT_OPS	1000000UL

struct item {
	struct ridx_entry	entry;
	unsigned int		pos;	/* in present[], while in the index */
	bool			in;
};

static struct item pool[POOL];
static unsigned int present[POOL];	/* items in the index */
static unsigned int npresent;
static struct ridx idx;
static uint64_t seed, rng;

/* The current wave's shape. */
static unsigned int wave_size;
static unsigned long key_space, max_len;
static bool growing, destroy_at_end;
/*
 * Where insertions start and which range a removal takes: anywhere, or in
 * a run by rising or falling start (as buffers come from mmap()), which
 * grows and shrinks the tree at one edge, through its uneven splits and
 * its merges and borrows of the nodes that hold the largest last.
 */
enum order { ANYWHERE, RISING, FALLING };
static enum order insert_order, remove_order;
static unsigned long next_start;

static unsigned long ops_done, ops_wanted;
static unsigned long destroyed_entries;
static unsigned int deepest;
static unsigned int query_seen[POOL];	/* == query_nr: seen by this query */
static unsigned int query_nr;

static uint64_t next_random(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static unsigned long below(unsigned long n)
{
	return n ? next_random() % n : 0;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "range-index: operation %lu failed: ", ops_done + 1);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	printf("range-index: replay with --seed %" PRIu64 " --ops %lu\n", seed, ops_done + 1);
	printf("range-index: %lu passed, 1 failed\n", ops_done);
	exit(1);
}

/* A range of the current wave's shape. */
static void random_range(unsigned long *first, unsigned long *last)
{
	unsigned long start, len;

	switch (below(16)) {
	case 0:		/* reaching the end of the address space */
		start = ULONG_MAX - below(max_len + 1);
		len = ULONG_MAX - start;
		break;
	case 1:		/* a single address */
		start = below(key_space);
		len = 0;
		break;
	default:
		start = below(key_space);
		len = below(max_len + 1);
		break;
	}
	*first = start;
	*last = start + len < start ? ULONG_MAX : start + len;
}

static void new_wave(void)
{
	static const unsigned int sizes[] = { 1, 8, 33, 40, 300, 600, 1500, 2500 };
	static const unsigned long spaces[] = { 4, 64, 4096, 1UL << 20, 1UL << 47, ULONG_MAX };
	static const unsigned long lens[] = { 0, 1, 64, 4096, 1UL << 30, ULONG_MAX / 2 };

	if (npresent && !destroy_at_end)
		fail("a wave ended with %u ranges", npresent);
	/* Now and then four levels (a root over at least 33 x 8 x 8 leaves). */
	if (below(64) == 0) {
		wave_size = 16000;
	} else {
		wave_size = sizes[below(ARRAY_SIZE(sizes))];
		wave_size = 1 + below(wave_size) + wave_size / 2;
	}
	key_space = spaces[below(ARRAY_SIZE(spaces))];
	max_len = lens[below(ARRAY_SIZE(lens))];
	growing = true;
	destroy_at_end = below(4) == 0;
	insert_order = below(3);
	remove_order = below(3);
	next_start = below(key_space);
}

/* Fills the reserve as the kernel's REGISTER does, before its lock. */
static void top_up(void)
{
	unsigned int wanted;

	while ((wanted = ridx_nodes_wanted(&idx))) {
		struct ridx_node *nodes = ridx_alloc_nodes(wanted, GFP_KERNEL);

		if (!nodes)
			fail("out of memory");
		ridx_add_spares(&idx, nodes);
	}
}

static void do_insert(void)
{
	unsigned int i;
	struct item *it;

	for (i = below(POOL); pool[i].in; i = (i + 1) % POOL)
		;
	it = &pool[i];
	random_range(&it->entry.start, &it->entry.last);
	if (insert_order != ANYWHERE) {
		unsigned long step = below(key_space / 4096 + 2);
		unsigned long len = it->entry.last - it->entry.start;

		next_start += insert_order == RISING ? step : -step;
		it->entry.start = next_start;
		it->entry.last = next_start + len < next_start ? ULONG_MAX : next_start + len;
	}
	top_up();
	ridx_insert(&idx, &it->entry);
	it->in = true;
	it->pos = npresent;
	present[npresent++] = i;
	if (!it->entry.leaf)
		fail("insert [%lx, %lx]: the entry has no leaf", it->entry.start,
		     it->entry.last);
}

static void do_remove(void)
{
	unsigned int pos = below(npresent), j;
	struct item *it;

	/* The lowest or highest start: a run of removals from one edge. */
	for (j = 0; remove_order != ANYWHERE && j < npresent; j++) {
		const struct ridx_entry *e = &pool[present[j]].entry;
		const struct ridx_entry *best = &pool[present[pos]].entry;

		if (remove_order == RISING ? e->start < best->start : e->start > best->start)
			pos = j;
	}
	it = &pool[present[pos]];

	ridx_free_nodes(ridx_remove(&idx, &it->entry));
	if (it->entry.leaf)
		fail("remove [%lx, %lx]: the entry still has a leaf", it->entry.start,
		     it->entry.last);
	it->in = false;
	present[pos] = present[--npresent];
	pool[present[pos]].pos = pos;
}

static void do_query(void)
{
	unsigned long first, last, prev_start = 0, found = 0, expected = 0;
	struct ridx_entry *entry;
	struct ridx_iter iter;
	unsigned int i;

	if (npresent && below(3) == 0) {
		/* Around a range in the index, which then must be found. */
		struct ridx_entry *e = &pool[present[below(npresent)]].entry;

		first = e->start + below(e->last - e->start + 1);
		last = first + below(max_len + 1);
		if (last < first)
			last = ULONG_MAX;
	} else if (below(50) == 0) {
		first = 0;
		last = ULONG_MAX;
	} else {
		random_range(&first, &last);
	}

	query_nr++;
	for (entry = ridx_iter_first(&idx, &iter, first, last); entry;
	     entry = ridx_iter_next(&iter)) {
		struct item *it = (struct item *)entry;	/* entry is first */

		if (it < pool || it >= pool + POOL || !it->in)
			fail("query [%lx, %lx] returned a range not in the index",
			     first, last);
		i = it - pool;
		if (query_seen[i] == query_nr)
			fail("query [%lx, %lx] returned [%lx, %lx] twice", first, last,
			     entry->start, entry->last);
		query_seen[i] = query_nr;
		if (entry->start > last || entry->last < first)
			fail("query [%lx, %lx] returned [%lx, %lx], which does not overlap",
			     first, last, entry->start, entry->last);
		if (entry->start < prev_start)
			fail("query [%lx, %lx] returned a start before the previous one",
			     first, last);
		prev_start = entry->start;
		found++;
	}
	for (i = 0; i < npresent; i++) {
		const struct ridx_entry *e = &pool[present[i]].entry;

		if (e->start <= last && e->last >= first) {
			expected++;
			if (query_seen[present[i]] != query_nr)
				fail("query [%lx, %lx] missed [%lx, %lx]", first, last,
				     e->start, e->last);
		}
	}
	if (found != expected)
		fail("query [%lx, %lx] found %lu ranges, the model %lu", first, last,
		     found, expected);
}

static void count_destroyed(struct ridx_entry *entry)
{
	struct item *it = (struct item *)entry;

	if (!it->in)
		fail("ridx_destroy() passed a range twice or one not in the index");
	it->in = false;
	destroyed_entries++;
}

/* Ends a wave by ridx_destroy(): every range, once; every node freed. */
static void do_destroy(void)
{
	destroyed_entries = 0;
	ridx_destroy(&idx, count_destroyed);
	if (destroyed_entries != npresent)
		fail("ridx_destroy() passed %lu ranges of %u", destroyed_entries, npresent);
	npresent = 0;
}

static void check_no_nodes_left(void)
{
	unsigned int i;

	/* An empty index keeps its reserve until ridx_destroy(). */
	ridx_destroy(&idx, count_destroyed);
	for (i = 0; i < ARRAY_SIZE(shim_caches); i++)
		if (shim_caches[i] && shim_caches[i]->live)
			fail("%ld nodes were not freed", shim_caches[i]->live);
}

static void one_operation(void)
{
	unsigned int r = below(100);

	if (growing && npresent >= wave_size)
		growing = false;
	if (!growing && (npresent == 0 || (destroy_at_end && npresent < wave_size / 2))) {
		if (destroy_at_end)
			do_destroy();
		check_no_nodes_left();
		new_wave();
	}

	if (r < 20)
		do_query();
	else if (npresent == 0 || (npresent < POOL && r < (growing ? 85U : 35U)))
		do_insert();
	else
		do_remove();

	if (!ridx_validate(&idx))
		fail("ridx_validate() found a broken invariant (above)");
	if (shim_warnings)
		fail("the index warned (above)");
	if (idx.height > deepest)
		deepest = idx.height;
}

static void print_usage(void)
{
	fprintf(stderr, "usage: ridx-test [--seed S] [--ops N]\n");
	exit(2);
}

static unsigned long parse_number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end)
		print_usage();
	return v;
}

int main(int argc, char **argv)
{
	int i;

	seed = (uint64_t)time(NULL) * 1000003 ^ (uint64_t)getpid();
	ops_wanted = DEFAULT_OPS;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = parse_number(argv[++i]);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			ops_wanted = parse_number(argv[++i]);
		else
			print_usage();
	}
	printf("range-index: seed %" PRIu64 ", %lu operations (replay: --seed %" PRIu64 ")\n",
	       seed, ops_wanted, seed);
	fflush(stdout);
	rng = seed ? seed : 1;

	if (ridx_cache_create())
		fail("ridx_cache_create() failed");
	ridx_init(&idx);
	new_wave();
	for (ops_done = 0; ops_done < ops_wanted; ops_done++)
		one_operation();
	do_destroy();
	check_no_nodes_left();
	ridx_cache_destroy();
	if (shim_warnings)
		fail("the index warned at the end (above)");

	printf("range-index: deepest tree %u levels (RIDX_ORDER %d)\n", deepest, RIDX_ORDER);
	printf("range-index: %lu passed, 0 failed\n", ops_done);
	return 0;
}
