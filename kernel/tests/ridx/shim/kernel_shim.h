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

/* sparse's annotation of a type not to mix with others: nothing to a compiler. */
#define __bitwise

typedef uint32_t u32;
typedef uint64_t u64;
typedef unsigned int __bitwise gfp_t;

#define GFP_KERNEL		0U
#define GFP_KERNEL_ACCOUNT	0U
#define SLAB_ACCOUNT		0U

/* The test builds the debug configuration: 1 or 0, never undefined. */
#define IS_ENABLED(CONFIG_option)	(CONFIG_option)

/* The kernel's READ_ONCE() of a scalar: one relaxed load, in one piece. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

/* Each argument evaluated once, as the kernel's. */
#define min(a, b)		({				\
	__typeof__(a) __min_a = (a);				\
	__typeof__(b) __min_b = (b);				\
								\
	__min_a < __min_b ? __min_a : __min_b;			\
})
#define max(a, b)		({				\
	__typeof__(a) __max_a = (a);				\
	__typeof__(b) __max_b = (b);				\
								\
	__max_a > __max_b ? __max_a : __max_b;			\
})

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

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
	for (i = 0; i < ARRAY_SIZE(shim_caches); i++) {
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
		WARN_ONCE(1, "%s: %ld objects still allocated", __func__, cache->live);
	for (i = 0; i < ARRAY_SIZE(shim_caches); i++)
		if (shim_caches[i] == cache)
			shim_caches[i] = NULL;
	free(cache);
}

#endif /* _RIDX_KERNEL_SHIM_H */
