/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What range_index.c uses of the kernel, in user space, for ridx-test:
 * nodes come from malloc() (counted, so that the test can find a leak),
 * pr_err() prints to stderr and a WARN counts in shim_warnings, which the
 * test checks after every operation.  Every <linux/...> header the index
 * includes is a one-line file in shim/linux/ that includes this one.
 */
#ifndef _RIDX_KERNEL_SHIM_H
#define _RIDX_KERNEL_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint32_t u32;
typedef uint64_t u64;
typedef unsigned int gfp_t;

#define GFP_KERNEL		0U
#define GFP_KERNEL_ACCOUNT	0U
#define SLAB_ACCOUNT		0U

/* The test builds the debug configuration: 1 or 0, never undefined. */
#define IS_ENABLED(option)	(option)

#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))

#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))

extern unsigned long shim_warnings;

#define pr_err(fmt, ...)	fprintf(stderr, fmt, ##__VA_ARGS__)

#define WARN_ONCE(cond, fmt, ...)					\
	({								\
		bool __c = (cond);					\
		if (__c) {						\
			fprintf(stderr, "WARNING: " fmt "\n", ##__VA_ARGS__); \
			shim_warnings++;				\
		}							\
		__c;							\
	})
#define WARN_ON_ONCE(cond)	WARN_ONCE(cond, "%s:%d: %s", __FILE__, __LINE__, #cond)

/* A cache of objects of one size: malloc(), with a count of live ones. */
struct kmem_cache {
	size_t		size;
	long		live;
};

extern struct kmem_cache *shim_caches[4];

static inline struct kmem_cache *shim_cache_create(size_t size)
{
	struct kmem_cache *cache = calloc(1, sizeof(*cache));
	unsigned int i;

	if (!cache)
		return NULL;
	cache->size = size;
	for (i = 0; i < sizeof(shim_caches) / sizeof(shim_caches[0]); i++) {
		if (!shim_caches[i]) {
			shim_caches[i] = cache;
			break;
		}
	}
	return cache;
}

#define KMEM_CACHE(type, flags)	shim_cache_create(sizeof(struct type))

static inline void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp)
{
	void *p = malloc(cache->size);

	(void)gfp;
	if (p) {
		/* Garbage, as from a slab: the index must set what it reads. */
		memset(p, 0xa5, cache->size);
		cache->live++;
	}
	return p;
}

static inline void kmem_cache_free(struct kmem_cache *cache, void *p)
{
	if (!p)
		return;
	cache->live--;
	free(p);
}

static inline void kmem_cache_destroy(struct kmem_cache *cache)
{
	unsigned int i;

	if (!cache)
		return;
	if (cache->live)
		WARN_ONCE(1, "kmem_cache_destroy: %ld objects still allocated", cache->live);
	for (i = 0; i < sizeof(shim_caches) / sizeof(shim_caches[0]); i++)
		if (shim_caches[i] == cache)
			shim_caches[i] = NULL;
	free(cache);
}

#endif /* _RIDX_KERNEL_SHIM_H */
