/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzzer's random numbers: SplitMix64, so that a 64-bit seed decides
 * every choice a process makes, and a child's stream is derived from its
 * parent's seed and its serial number alone.
 */
#ifndef UMN_FUZZ_RNG_H
#define UMN_FUZZ_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t state;
};

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rng_next(struct rng *r)
{
	r->state += 0x9e3779b97f4a7c15ULL;
	return mix64(r->state);
}

/* Uniform in [0, n); 0 when n is 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* Uniform in [lo, hi]. */
static inline uint64_t rng_between(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static inline bool rng_percent(struct rng *r, unsigned int percent)
{
	return rng_below(r, 100) < percent;
}

/* The seed of stream number @salt derived from @seed. */
static inline uint64_t derive_seed(uint64_t seed, uint64_t salt)
{
	return mix64(seed ^ mix64(salt + 0x632be59bd9b4e019ULL));
}

#endif /* UMN_FUZZ_RNG_H */
