/* A seeded, repeatable pseudo-random generator for the in-guest fuzzer. Pure.
 *
 * xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators,
 * scrambled", 2016): 64 bits of state, period 2^64 - 1, good enough for choosing test
 * inputs. Each fuzz case gets its own stream, seeded from (seed, case index) through
 * splitmix64, so case i is the same whatever ran before it and whichever mode runs it. */
#ifndef VMXRAY_TOOLS_EFILIB_FUZZ_RNG_H
#define VMXRAY_TOOLS_EFILIB_FUZZ_RNG_H
#include <stdint.h>

struct fuzz_rng {
	uint64_t s; /* never 0 */
};

static inline uint64_t fuzz_splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* The stream for case `index` of run `seed`. */
static inline void fuzz_rng_seed(struct fuzz_rng *r, uint64_t seed, uint64_t index)
{
	r->s = fuzz_splitmix64(seed ^ fuzz_splitmix64(index));
	if (!r->s)
		r->s = 1;
}

static inline uint64_t fuzz_rng_next(struct fuzz_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

/* Uniform enough in [0, n) for n > 0 (the modulo bias is below 2^-40 for the small n
 * used here). */
static inline uint64_t fuzz_rng_below(struct fuzz_rng *r, uint64_t n)
{
	return fuzz_rng_next(r) % n;
}

/* In [lo, hi], inclusive. */
static inline uint64_t fuzz_rng_range(struct fuzz_rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo + 1;

	return span ? lo + fuzz_rng_below(r, span) : fuzz_rng_next(r);
}

/* One element of a table: fuzz_rng_pick(r, table, ARRAY_SIZE(table)). */
static inline uint64_t fuzz_rng_pick(struct fuzz_rng *r, const uint64_t *table, uint64_t n)
{
	return table[fuzz_rng_below(r, n)];
}

#endif
